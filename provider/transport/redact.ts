/**
 * Secrets known to this process (passwords, key passphrases, private keys) are registered here, and every
 * message that leaves the provider goes through `redact`. A registry rather than per-call arguments, because
 * an error can surface far from the connection that carried the secret.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) {
    secrets.add(value);
    // Private keys also leak line by line (e.g. a parser quoting one line of the PEM).
    for (const line of value.split(/\r?\n/)) {
      if (line.length >= 16 && !line.startsWith("-----")) secrets.add(line);
    }
  }
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join("[secret]");
  }
  return out;
}
