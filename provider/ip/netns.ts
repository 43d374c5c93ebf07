import type { RemoteCommand } from "../transport/command";
import { ipArgv, parseIpJson, isUp, type IpLink } from "./ip";
import { missingTool, missingToolError, ok, type Outcome } from "./batch";
import { isNoSuchContainer } from "../docker/docker";

/**
 * Named network namespaces (files under /run/netns, what `ip netns` and `ip -n` use), including docker
 * containers' namespaces linked there by PID: argv builders and parsers of what the host says.
 */

export const NETNS_DIR = "/run/netns";

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** The namespace file of a process, as the seed links it: /proc/PID/ns/net. */
export function procNetns(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

export function netnsAddArgv(name: string): string[] {
  return ["ip", "netns", "add", name];
}

export function netnsDelArgv(name: string): string[] {
  return ["ip", "netns", "del", name];
}

/** Loopback up and the ownership marker in one command (a fresh namespace has lo down). */
export function loopbackArgv(name: string, alias: string): string[] {
  return ipArgv(name, "link", "set", "dev", "lo", "up", "alias", alias);
}

/** An empty alias removes it (kernel >= 4.16 semantics; older kernels store ""; both read back as no marker). */
export function clearLoopbackAliasArgv(name: string): string[] {
  return ipArgv(name, "link", "set", "dev", "lo", "alias", "");
}

/** `docker inspect` of a container only (never an image of the same name): "PID ID". */
export function dockerPidArgv(container: string): string[] {
  return ["docker", "inspect", "--type", "container", "--format", "{{.State.Pid}} {{.Id}}", "--", container];
}

/** Link a process's namespace under /run/netns/NAME, replacing an old link atomically (ln -sfn). */
export function linkNetnsCmds(name: string, pid: number): RemoteCommand[] {
  return [{ argv: ["mkdir", "-p", NETNS_DIR] }, { argv: ["ln", "-sfn", procNetns(pid), netnsPath(name)] }];
}

export function unlinkNetnsArgv(name: string): string[] {
  return ["rm", "-f", "--", netnsPath(name)];
}

/**
 * What is at /run/netns/NAME, in one batch. Ordered so that for a healthy namespace only the last command can
 * fail (readlink of a plain namespace): the same commands then serve as the read-back of a stop-on-error write.
 */
export function netnsProbeCmds(name: string, container?: string): RemoteCommand[] {
  return [
    ...(container ? [{ argv: dockerPidArgv(container) }] : []),
    { argv: ["stat", "-L", "-c", "%i", "--", netnsPath(name)] },
    { argv: ipArgv(name, "-j", "link", "show", "dev", "lo") },
    { argv: ["readlink", "--", netnsPath(name)] },
  ];
}

export interface ContainerState {
  /** 0 when the container is not running. */
  pid: number;
  id: string;
}

export interface NetnsLive {
  /** Something is at /run/netns/NAME (possibly a dangling link). */
  exists: boolean;
  /** Target of /run/netns/NAME when it is a symlink. */
  linkTarget?: string;
  /** PID in a /proc/PID/ns/net link target. */
  linkedPid?: number;
  /** Inode of the namespace (nsfs), when the path resolves. */
  inode?: number;
  /** `lo` inside, when the path opens as a network namespace. */
  lo?: IpLink;
  /** For a container namespace: the container as docker sees it (null: no such container). */
  container?: ContainerState | null;
}

export function parseDockerPid(stdout: string): ContainerState {
  const m = /^(\d+) ([0-9a-f]{12,64})\s*$/.exec(stdout.trim());
  if (!m) throw new Error(`unexpected docker inspect output: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { pid: Number(m[1]), id: m[2] };
}

export function linkedPid(target: string | undefined): number | undefined {
  const m = target === undefined ? null : /^\/proc\/(\d+)\/ns\/net$/.exec(target);
  return m ? Number(m[1]) : undefined;
}

/**
 * Parse netnsProbeCmds' results. Throws for failures that say nothing about the namespace (ip or docker
 * missing, docker daemon down); absence and dangling links are answers, not errors.
 */
export function parseNetnsProbe(results: readonly Outcome[], withContainer: boolean): NetnsLive {
  const off = withContainer ? 1 : 0;
  const [statR, loR, linkR] = [results[off], results[off + 1], results[off + 2]];
  for (const r of [statR, loR, linkR]) if (r && missingTool(r)) throw missingToolError(r);
  const live: NetnsLive = { exists: ok(statR) || ok(linkR) };
  if (ok(linkR)) {
    live.linkTarget = linkR.stdout.trim();
    live.linkedPid = linkedPid(live.linkTarget);
  }
  if (ok(statR)) live.inode = Number(statR.stdout.trim());
  if (ok(loR)) live.lo = parseIpJson(loR.stdout)[0];
  if (withContainer) {
    const d = results[0];
    if (ok(d)) live.container = parseDockerPid(d.stdout);
    else if (d && isNoSuchContainer(d.stderr)) live.container = null;
    else throw new Error(`docker inspect failed${d ? ` (exit code ${d.code}): ${d.stderr.trim()}` : ""}`);
  }
  return live;
}

/** Whether /run/netns/NAME is a link to exactly this process's namespace. */
export function linkedTo(live: NetnsLive, pid: number): boolean {
  return pid > 0 && live.linkTarget === procNetns(pid);
}

export function loopbackUp(live: NetnsLive): boolean {
  return live.lo !== undefined && isUp(live.lo);
}
