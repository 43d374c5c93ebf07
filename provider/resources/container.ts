import { containerSchema, type ContainerInputs } from "../schema/container";
import { inspectArgv, isNoSuchContainer, parseInspect, runArgv, type InspectedContainer } from "../docker/docker";
import { OWNER_KEY } from "../schema/base";
import type { SshHost } from "../transport/pool";
import { RemoteCommandError } from "../transport/errors";
import { forgetFacts, mutate } from "../host/facts";
import { assertOwnable, compact, kindModule, readResult } from "./framework";
import { pickOwn } from "../shared/values";

/**
 * DockerContainer: a container on the host's docker daemon, over the same SSH connection. Images are local
 * (nothing is pulled implicitly). Only containers labelled with our owner are ever stopped or removed.
 */

const KIND = "DockerContainer";
// Docker cannot change these on a container: a new one replaces it.
const rules = { replaceKeys: ["name", "image", "command", "env", "labels", "networkMode", "capAdd", "privileged", "hostname"], identityKeys: ["name"] };

async function inspect(host: SshHost, name: string): Promise<InspectedContainer | undefined> {
  const r = await host.run({ argv: inspectArgv(name), okCodes: [1], read: true });
  if (r.code !== 0) {
    if (isNoSuchContainer(r.stderr)) return undefined;
    throw new RemoteCommandError(host.label, inspectArgv(name).join(" "), r.code, r.stdout, r.stderr);
  }
  return parseInspect(r.stdout);
}

function liveInputs(c: InspectedContainer, declared: ContainerInputs): ContainerInputs {
  const pick = pickOwn; // own keys only: `"constructor" in m` is true for every object
  return compact({
    ...declared,
    image: c.image,
    command: declared.command === undefined ? undefined : c.command,
    env: pick(c.env, declared.env),
    labels: pick(c.labels, declared.labels),
    restartPolicy: declared.restartPolicy === undefined ? undefined : c.restartPolicy,
    networkMode: c.networkMode,
    capAdd: declared.capAdd === undefined ? undefined : c.capAdd,
    privileged: declared.privileged === undefined ? undefined : c.privileged,
    hostname: declared.hostname === undefined ? undefined : c.hostname,
    running: c.running,
  });
}

const outputs = (inputs: ContainerInputs, c: InspectedContainer) => compact({ ...inputs, containerId: c.id, pid: c.pid, startedAt: c.startedAt });

const p = kindModule({
  kind: KIND,
  schema: containerSchema,
  rules,
  parseOld: true,
  async create({ host, conn, want }) {
    const existing = await inspect(host, want.name);
    if (existing) {
      assertOwnable(KIND, want.name, existing.labels[OWNER_KEY], want.owner, want.adopt);
      // Ours (or adopted): docker cannot relabel, so replace it with one built from the program.
      await mutate(host, { argv: ["docker", "rm", "--force", "--", want.name] });
    }
    await mutate(host, { argv: runArgv({ ...want, labels: { ...want.labels, [OWNER_KEY]: want.owner } }) });
    if (!want.running) await mutate(host, { argv: ["docker", "stop", "--", want.name] });
    const c = await inspect(host, want.name);
    if (!c) throw new Error(`container ${want.name} is missing right after docker run`);
    return { id: `${conn.host}/${c.id}`, outs: outputs(want, c) };
  },
  async read({ host, id, declared }) {
    const c = await inspect(host, declared.name);
    if (!c) return {};
    const inputs = liveInputs(c, declared);
    return readResult(id, outputs(inputs, c), inputs, declared);
  },
  async update({ host, want, old }) {
    if (want.restartPolicy !== old.restartPolicy) {
      await mutate(host, { argv: ["docker", "update", "--restart", want.restartPolicy ?? "no", "--", want.name] });
    }
    const now = await inspect(host, want.name);
    if (now && now.running !== want.running) await mutate(host, { argv: ["docker", want.running ? "start" : "stop", "--", want.name] });
    forgetFacts(host);
    const c = await inspect(host, want.name);
    if (!c) throw new Error(`container ${want.name} is missing`);
    return { outs: outputs(want, c) };
  },
  async delete({ host, old }) {
    const c = await inspect(host, old.name);
    if (!c || c.labels[OWNER_KEY] !== old.owner) return; // gone, or not ours: never touch it
    await mutate(host, { argv: ["docker", "rm", "--force", "--", old.name] });
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
