import { spawn } from "node:child_process";

export interface PulumiResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs the `pulumi` CLI with args in a directory (how the commands reach a user's project and backend). */
export type PulumiRunner = (args: string[], opts: { cwd: string; input?: string }) => Promise<PulumiResult>;

export const runPulumi: PulumiRunner = (args, opts) =>
  new Promise((resolve, reject) => {
    const bin = "pulumi";
    const child = spawn(bin, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === "ENOENT" ? `could not run \`${bin}\`: not found on PATH (install the Pulumi CLI)` : `could not run \`${bin}\`: ${e.message}`)),
    );
    child.on("close", (code, signal) => resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exitCode: code ?? (signal ? 128 : -1) }));
  });
