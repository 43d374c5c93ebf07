import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { driftFromPreview, formatDrift, parsePreviewJson, previewErrors } from "./drift";
import { runPulumi, type PulumiRunner } from "./pulumi";
import { toMermaid, toSvg, topologyFromState } from "../sdk/topology";
import { discoverCommand } from "./discover/cli";

/** Exit codes of every command: 0 fine (no drift), 1 drift found, 2 error (bad usage, pulumi failed, ...). */
export const EXIT = { ok: 0, drift: 1, error: 2 } as const;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** How `pulumi` is run (tests pass a fake). */
  pulumi: PulumiRunner;
  /** Standard input, for `--state -`. */
  stdin(): string;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  pulumi: runPulumi,
  stdin: () => fs.readFileSync(0, "utf8"),
};

/** An error whose message is all the user needs (no stack trace). */
class CliError extends Error {}

function projectDir(cwd: string | undefined): string {
  const dir = path.resolve(cwd ?? process.cwd());
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--cwd ${dir}: no such directory`);
  return dir;
}

function tail(s: string, n = 4000): string {
  const t = s.trim();
  return t.length > n ? `...${t.slice(-n)}` : t;
}

/** The command line: `pulumi-ovs drift`, `pulumi-ovs topology` and `pulumi-ovs discover`, each with --help. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("pulumi-ovs")
    .description("Checks and drawings for Pulumi stacks built with pulumi-ovs, run in your Pulumi project directory.")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("drift")
    .description(
      "Refresh-preview a stack (`pulumi preview --refresh --diff --json`, nothing is written) and list every resource whose hosts no longer match the program. Exits 0 when nothing drifted, 1 on drift, 2 on error.",
    )
    .requiredOption("-s, --stack <name>", "the stack to check")
    .option("-C, --cwd <dir>", "the Pulumi project directory (default: the current directory)")
    .action(async (opts: { stack: string; cwd?: string }) => {
      const cwd = projectDir(opts.cwd);
      const args = ["preview", "--refresh", "--diff", "--json", "--stack", opts.stack, "--non-interactive"];
      const r = await io.pulumi(args, { cwd });
      let doc: unknown;
      try {
        doc = parsePreviewJson(r.stdout);
      } catch {
        doc = undefined;
      }
      if (r.exitCode !== 0 || doc === undefined) {
        const why = [...(doc ? previewErrors(doc) : []), tail(r.stderr), doc ? "" : tail(r.stdout)].filter(Boolean).join("\n");
        throw new CliError(`pulumi ${args.join(" ")} failed (exit ${r.exitCode}) in ${cwd}${why ? `:\n${why}` : ""}`);
      }
      const drifts = driftFromPreview(doc);
      io.out(formatDrift(opts.stack, drifts));
      setExit(drifts.length ? EXIT.drift : EXIT.ok);
    });

  program
    .command("topology")
    .description("Draw a stack from its state (`pulumi stack export` in the project directory, or a state file) as Mermaid or SVG.")
    .option("-s, --stack <name>", "the stack to draw (runs `pulumi stack export` in the project directory)")
    .option("-C, --cwd <dir>", "the Pulumi project directory, with --stack (default: the current directory)")
    .option("--state <file>", "a `pulumi stack export` file instead of --stack (- for standard input)")
    .addOption(new Option("-f, --format <format>", "what to draw").choices(["mermaid", "svg"]).default("mermaid"))
    .option("-o, --out <file>", "write the drawing to this file (default: standard output)")
    .action(async (opts: { stack?: string; cwd?: string; state?: string; format: "mermaid" | "svg"; out?: string }) => {
      if (!!opts.stack === !!opts.state) throw new CliError("topology: give exactly one of --stack NAME or --state FILE");
      let text: string;
      if (opts.state === "-") text = io.stdin();
      else if (opts.state) {
        if (!fs.existsSync(opts.state)) throw new CliError(`--state ${opts.state}: no such file`);
        text = fs.readFileSync(opts.state, "utf8");
      } else {
        const cwd = projectDir(opts.cwd);
        const args = ["stack", "export", "--stack", opts.stack!, "--non-interactive"];
        const r = await io.pulumi(args, { cwd });
        if (r.exitCode !== 0) throw new CliError(`pulumi ${args.join(" ")} failed (exit ${r.exitCode}) in ${cwd}:\n${tail(r.stderr || r.stdout)}`);
        text = r.stdout;
      }
      let state: unknown;
      try {
        state = JSON.parse(text);
      } catch (e) {
        throw new CliError(`the state is not JSON (${(e as Error).message})`);
      }
      const topo = topologyFromState(state);
      const drawing = opts.format === "svg" ? toSvg(topo) : toMermaid(topo);
      if (opts.out) {
        fs.writeFileSync(opts.out, drawing);
        io.err(`wrote ${opts.out}\n`);
      } else io.out(drawing);
      setExit(EXIT.ok);
    });

  program.addCommand(discoverCommand(io, setExit).copyInheritedSettings(program));
  return program;
}

/** Runs the command line (`argv` without node and the script) and returns its exit code. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help is not an error; usage mistakes (and a bare `pulumi-ovs`, which prints the help to stderr) are.
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    io.err(`pulumi-ovs: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.error;
  }
}
