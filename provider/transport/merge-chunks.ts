/**
 * Every argument of one exec, with the environment, must fit in ARG_MAX (2 MiB on Linux by default). Merged
 * commands (many resources' ovs-vsctl writes chained in one transaction) could outgrow it when the resources
 * carry large maps, so a merge group is cut into chunks whose arguments stay under half of it.
 */
export const MERGED_ARGV_BYTES_MAX = 1024 * 1024;

/** Bytes an argv takes at exec: each argument's UTF-8 bytes and its terminating NUL. */
export function argvBytes(argv: readonly string[]): number {
  return argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
}

/** Chooses, command by command, the merge group (a chunk of `base`) a command joins. */
export class MergeChunks {
  private readonly chunks = new Map<string, { n: number; bytes: number }>();

  constructor(private readonly maxBytes = MERGED_ARGV_BYTES_MAX) {}

  key(base: string, argv: readonly string[]): string {
    const size = argvBytes(argv);
    const c = this.chunks.get(base) ?? { n: 0, bytes: 0 };
    if (c.bytes > 0 && c.bytes + size > this.maxBytes) (c.n++, (c.bytes = 0));
    c.bytes += size;
    this.chunks.set(base, c);
    return c.n === 0 ? base : `${base}\0${c.n}`;
  }
}
