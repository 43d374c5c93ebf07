import { NO_WAIT, VSCTL_PREFIX, isVsctlWrite } from "./merge";

/**
 * Builders for ovs-vsctl argv. One invocation is one OVSDB transaction: commands are chained with "--", so a
 * resource's whole change either applies or does not.
 */

/** A value in ovs-vsctl's set/map syntax: always double-quoted (JSON string syntax is what ovs-vsctl parses). */
export function ovsString(v: string): string {
  return JSON.stringify(v);
}

/** `column:key=value` arguments for every entry of a map. */
export function mapEntries(column: string, map: Record<string, string> | undefined): string[] {
  return Object.entries(map ?? {}).map(([k, v]) => `${column}:${ovsString(k)}=${ovsString(v)}`);
}

/** `column=[a,b]` for a set column (numbers or strings). */
export function setValue(column: string, values: readonly (string | number)[]): string {
  return `${column}=[${values.map((v) => (typeof v === "number" ? String(v) : ovsString(v))).join(",")}]`;
}

/** Chain several ovs-vsctl commands into one transaction. Empty commands are skipped. */
export function vsctl(...commands: (string[] | false | undefined)[]): string[] {
  const argv: string[] = [...VSCTL_PREFIX];
  let first = true;
  for (const c of commands) {
    if (!c || c.length === 0) continue;
    if (!first) argv.push("--");
    argv.push(...c);
    first = false;
  }
  if (first) throw new Error("vsctl: no commands");
  return argv;
}

/**
 * A transaction that returns once OVSDB committed it, without waiting for ovs-vswitchd to apply it: for
 * removals, whose result nothing reads back from ovs-vswitchd, so waiting for it would only add ovs-vswitchd's
 * reconfiguration to the round trip (docs/benchmarks.md, "Figures behind code choices"). A later waiting
 * transaction waits for it too, so an add-port of the same name after it still finds the port gone.
 */
export function noWait(argv: string[]): string[] {
  if (!isVsctlWrite(argv)) throw new Error("noWait: not an ovs-vsctl() argv");
  return [...VSCTL_PREFIX, NO_WAIT, ...argv.slice(VSCTL_PREFIX.length)];
}

/** Remove map keys that the program no longer declares. */
export function removeKeys(table: string, record: string, column: string, keys: readonly string[]): string[] | false {
  return keys.length > 0 && ["remove", table, record, column, ...keys.map(ovsString)];
}
