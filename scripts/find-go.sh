# Sourced by the scripts that build Go tools (pulumi-cli.sh, test-language-host.sh); needs their die().
# find_go prints the go binary to use: $GO, else `go` on PATH, else /usr/local/go/bin/go.
find_go() {
	if [[ -n "${GO:-}" ]]; then
		printf '%s\n' "$GO"
	elif command -v go >/dev/null 2>&1; then
		command -v go
	elif [[ -x /usr/local/go/bin/go ]]; then
		printf '%s\n' /usr/local/go/bin/go
	else
		die "no Go toolchain found (install Go >= 1.25 or set GO=/path/to/go)"
	fi
}
