/** docker CLI argv builders and `docker inspect` parsing. The daemon is the host's: reached over the same SSH. */

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  labels: Record<string, string>;
  restartPolicy?: string;
  networkMode: string;
  capAdd?: string[];
  privileged?: boolean;
  hostname?: string;
}

export function runArgv(c: ContainerSpec): string[] {
  const argv = ["docker", "run", "--detach", "--name", c.name, "--network", c.networkMode];
  for (const [k, v] of Object.entries(c.labels)) argv.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(c.env ?? {})) argv.push("--env", `${k}=${v}`);
  if (c.restartPolicy) argv.push("--restart", c.restartPolicy);
  for (const cap of c.capAdd ?? []) argv.push("--cap-add", cap);
  if (c.privileged) argv.push("--privileged");
  if (c.hostname) argv.push("--hostname", c.hostname);
  // "--" ends docker's options: the image and command can never be read as flags.
  argv.push("--", c.image, ...(c.command ?? []));
  return argv;
}

export interface InspectedContainer {
  id: string;
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  restartPolicy: string;
  networkMode: string;
  capAdd: string[];
  privileged: boolean;
  hostname: string;
  running: boolean;
  pid: number;
  startedAt: string;
}

interface RawInspect {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number; StartedAt: string };
  Config: { Image: string; Cmd: string[] | null; Env: string[] | null; Labels: Record<string, string> | null; Hostname: string };
  HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number }; NetworkMode: string; CapAdd: string[] | null; Privileged: boolean };
}

/** Parse `docker inspect` output (a JSON array); an empty array means no such container. */
export function parseInspect(stdout: string): InspectedContainer | undefined {
  const list = JSON.parse(stdout.trim() || "[]") as RawInspect[];
  const d = list[0];
  if (!d) return undefined;
  const rp = d.HostConfig.RestartPolicy;
  return {
    id: d.Id,
    name: d.Name.replace(/^\//, ""),
    image: d.Config.Image,
    command: d.Config.Cmd ?? [],
    env: Object.fromEntries((d.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
    labels: d.Config.Labels ?? {},
    restartPolicy: rp.Name === "on-failure" && rp.MaximumRetryCount > 0 ? `on-failure:${rp.MaximumRetryCount}` : rp.Name || "no",
    networkMode: d.HostConfig.NetworkMode,
    capAdd: [...new Set((d.HostConfig.CapAdd ?? []).map(canonicalCapability))].sort(),
    privileged: d.HostConfig.Privileged,
    hostname: d.Config.Hostname,
    running: d.State.Running,
    pid: d.State.Pid,
    startedAt: d.State.StartedAt,
  };
}

export function inspectArgv(name: string): string[] {
  return ["docker", "container", "inspect", "--", name];
}

/**
 * A capability as docker reports it in `inspect` (`--cap-add NET_ADMIN` reads back as CAP_NET_ADMIN): inputs are
 * kept in this form, so a refresh right after up compares like with like. ALL stays ALL.
 */
export function canonicalCapability(cap: string): string {
  return cap === "ALL" || cap.startsWith("CAP_") ? cap : `CAP_${cap}`;
}

/** docker says the container does not exist (anything else, e.g. a dead daemon, is an error, never "gone"). */
export function isNoSuchContainer(stderr: string): boolean {
  return /No such (container|object)/i.test(stderr);
}
