/**
 * The ONE place where values become remote shell text.
 *
 * ssh2's `exec` takes a string that the remote login shell parses, so every argv element is wrapped in
 * POSIX single quotes: inside them the shell interprets nothing (no `$()`, backticks, `;`, globs, newlines),
 * and the only character that needs care is the single quote itself, written as '\''.
 */

/** Quote one argument so that a POSIX shell passes it through byte for byte. */
export function shellQuote(arg: string): string {
  if (typeof arg !== "string") {
    throw new TypeError(`shellQuote: expected a string, got ${typeof arg}`);
  }
  if (arg.includes("\0")) {
    // A NUL cannot travel through a C string (argv); refuse rather than truncate silently.
    throw new Error("shellQuote: argument contains a NUL byte");
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) && !arg.startsWith("-") && !arg.startsWith("=")) {
    // Plain words stay readable in logs and error messages; nothing in this set is special to sh.
    return arg;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv array into one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error("shellJoin: empty command");
  }
  return argv.map(shellQuote).join(" ");
}
