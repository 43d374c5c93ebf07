// Command pulumi-language-nodejs is a minimal, TEST-ONLY Pulumi language host
// for Node.js (built by scripts/test-language-host.sh, never shipped), so that
// tests can run `pulumi preview/up/refresh/destroy` through the real CLI where
// the official host's Go module cannot be fetched.
//
// It mirrors the official sdk/nodejs/cmd/pulumi-language-nodejs (v3.248.0):
// it is started as `pulumi-language-nodejs [flags] <engine address>`, prints
// its gRPC port on stdout, and serves until interrupted or the engine stops
// answering health checks. Run executes, in the program directory,
//
//	node [runtime.options.nodeargs] <node_modules/@pulumi/pulumi/cmd/run>
//	  --monitor --engine --organization --project --root-directory --stack
//	  --pwd [--dry-run] --parallel --tracing <entry point> <args>
//
// (each flag only when non-empty) with the host's environment plus
// PULUMI_CONFIG (keys as `<ns>:config:<name>`), PULUMI_CONFIG_SECRET_KEYS,
// PULUMI_NODEJS_TYPESCRIPT=true (unless runtime.options.typescript is false)
// and PULUMI_NODEJS_TSCONFIG_PATH (runtime.options.tsconfig). Exit code 32
// ("error already shown") gives RunResponse{Bail: true}; another non-zero code
// gives "Program exited with non-zero exit code: N".
//
// Left out: the resource-monitor proxy and the synchronous-invoke pipes
// (`--sync`): the runner gets the engine's real monitor address; plugin
// discovery (GetRequiredPackages/Plugins answer empty lists: our programs only
// use the `pulumi-nodejs` dynamic provider, found on PATH); GetProgramDependencies
// answers an empty list; About reports only `node`; PULUMI_LANGUAGE_NODEJS_RUN_PATH,
// bun, debugger attachment, OOM sniffing, tracing spans, and the RPCs not
// needed by preview/up/refresh/destroy (InstallDependencies, RunPlugin, Cancel,
// RuntimeOptionsPrompts, code generation, ...), which answer Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// hostVersion is what GetPluginInfo and -version report.
	hostVersion = "3.248.0"
	// bailExitCode is the runner's exit code for "the error was already shown".
	bailExitCode = 32
)

func main() {
	engineAddress, tracing := parseArgs(os.Args[1:])

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		// Like the official host: exit once the engine is gone.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			fatalf("could not start health check: %v", err)
		}
	}

	host := &nodeHost{engineAddress: engineAddress, tracing: tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start language host RPC server: %v", err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatalf("language host RPC stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

// parseArgs accepts any flags (-x, --x, -x=v, --x=v). -version prints the
// version and exits; -tracing/-runtime/-root take a value (possibly as the
// next argument); unknown flags are ignored. The engine address is the last
// positional argument (the engine always passes it last).
func parseArgs(args []string) (engineAddress, tracing string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			engineAddress = arg
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "version":
			fmt.Println(hostVersion)
			os.Exit(0)
		case "tracing", "runtime", "root":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			if name == "tracing" {
				tracing = value
			} else if name == "runtime" && value != "nodejs" {
				fatalf("unsupported runtime: %s", value)
			}
		}
	}
	return engineAddress, tracing
}

// nodeHost implements the LanguageRuntime service.
type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
}

func (h *nodeHost) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.mu.Lock()
		h.engineAddress = req.GetEngineAddress()
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion}, nil
}

func (h *nodeHost) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *nodeHost) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *nodeHost) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *nodeHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, _ := exec.CommandContext(ctx, node, "--version").Output()
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// findRunner walks up from dir looking for node_modules/@pulumi/pulumi/cmd/run.
func findRunner(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		run := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if st, err := os.Stat(run); err == nil && st.IsDir() {
			return run, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no node_modules/@pulumi/pulumi/cmd/run above %s: have you run npm install?", dir)
		}
	}
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir, entryPoint := info.GetProgramDirectory(), info.GetEntryPoint()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	if entryPoint == "" {
		entryPoint = req.GetProgram()
	}
	if entryPoint == "" {
		entryPoint = "."
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runPath, err := findRunner(programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Runtime options from Pulumi.yaml (runtime.options).
	opts := info.GetOptions().AsMap()
	typescript, ok := opts["typescript"].(bool)
	if _, set := opts["typescript"]; !set {
		typescript, ok = true, true
	}
	tsconfig, ok2 := opts["tsconfig"].(string)
	nodeargs, ok3 := opts["nodeargs"].(string)
	for name, good := range map[string]bool{"typescript": ok, "tsconfig": ok2, "nodeargs": ok3} {
		if _, set := opts[name]; set && !good {
			return &pulumirpc.RunResponse{Error: "invalid type for runtime option " + name}, nil
		}
	}
	nodeArgs, err := shlex.Split(nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Config: keys rewritten from <ns>:<name> to <ns>:config:<name>.
	cfg := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	secretKeys := append([]string{}, req.GetConfigSecretKeys()...)
	cfgJSON, _ := json.Marshal(cfg)
	secretJSON, _ := json.Marshal(secretKeys)
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	h.mu.Lock()
	engineAddress := h.engineAddress
	h.mu.Unlock()
	args := append(nodeArgs, runPath)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", info.GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	args = append(args, entryPoint)
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = programDir
	cmd.Env = env
	// Wrapped so that node gets pipes, not our own fds (it may make them non-blocking).
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case !errors.As(err, &exitErr):
		err = fmt.Errorf("Problem executing program (could not run language executor): %w", err)
	case exitErr.ExitCode() == bailExitCode: // the program already reported its error
		return &pulumirpc.RunResponse{Bail: true}, nil
	case exitErr.ExitCode() > 0:
		err = fmt.Errorf("Program exited with non-zero exit code: %d", exitErr.ExitCode())
	default: // killed by a signal
		err = fmt.Errorf("Program exited unexpectedly: %w", err)
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}
