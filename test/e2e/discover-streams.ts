/**
 * Traffic that runs while a discovered program's first `pulumi up` adopts the hosts of brownfield.sh: ping
 * streams (10 per second) and long-lived TCP connections, each stopped afterwards with its figures. A ping
 * stream's loss counts the sequence numbers missing below the highest answered one (the echo in flight when
 * the stream is stopped is not a loss); a TCP stream survived when lines still arrive after the `up`.
 */

type OnSpare = (host: string, ...argv: string[]) => Promise<{ stdout: string; stderr: string; exitCode: number }>;

export interface StreamResult {
  name: string;
  received: number;
  lost: number;
}

export interface Stream {
  stop(): Promise<StreamResult>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a command runs on a spare host: the host, a named namespace, or a container. */
type Place = { host: string; netns?: string; container?: string };

/** The host's own tools (iputils ping, netcat-openbsd: busybox's nc stops after one line) in the place's namespace. */
function argvAt(p: Place, script: string): string[] {
  const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
  if (p.container) return ["sh", "-c", `exec nsenter -t "$(docker inspect -f '{{.State.Pid}}' ${p.container})" -n sh -c ${quoted}`];
  return ["sh", "-c", p.netns ? `exec ip netns exec ${p.netns} sh -c ${quoted}` : script];
}

function ping(on: OnSpare, name: string, p: Place, target: string, pidfile: string): Stream {
  const run = on(p.host, ...argvAt(p, `echo $$ > ${pidfile}; exec ping -i 0.1 ${target}`));
  return {
    async stop() {
      await on(p.host, ...argvAt(p, `kill -INT $(cat ${pidfile}); rm -f ${pidfile}`));
      const out = (await run).stdout;
      const seqs = new Set([...out.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
      const first = 1; // iputils counts from 1
      const highest = Math.max(first - 1, ...seqs);
      return { name, received: seqs.size, lost: highest - first + 1 - seqs.size };
    },
  };
}

/** A TCP connection carrying a line every 0.1 s from `from` to `to`, which writes what it gets to a file. */
async function tcp(on: OnSpare, name: string, from: Place, to: Place, address: string, port: number, tag: string): Promise<Stream> {
  const file = `/tmp/povs-recv-${tag}`;
  const pidfile = `/tmp/povs-listen-${tag}.pid`;
  void on(to.host, ...argvAt(to, `echo $$ > ${pidfile}; exec nc -l -p ${port} > ${file}`));
  // The sender does not retry: wait until the listener listens (nsenter and docker inspect are slow under load).
  for (let i = 0; i < 50 && (await on(to.host, ...argvAt(to, `ss -ltnH 'sport = :${port}' | grep -q .`))).exitCode !== 0; i++) await pause(200);
  void on(from.host, ...argvAt(from, `i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); sleep 0.1; done | nc ${address} ${port}`));
  const lines = async () => Number((await on(to.host, ...argvAt(to, `wc -l < ${file}`))).stdout.trim()) || 0;
  await pause(1000);
  const before = await lines();
  return {
    async stop() {
      const a = await lines();
      await pause(1500);
      const b = await lines();
      await on(to.host, ...argvAt(to, `kill $(cat ${pidfile}); rm -f ${pidfile} ${file}`));
      // Lines arrived before the up and still arrive after it: the one connection lived through the up.
      return { name, received: b, lost: before > 0 && b > a ? 0 : 1 };
    },
  };
}

/** Every stream of the brownfield scenario (suffix `s`), started. */
export async function streams(s: string, on: OnSpare): Promise<Stream[]> {
  const h42 = { host: "h42" };
  const out: Stream[] = [
    ping(on, "containers a1->b1 (ovs-docker, pipework; VLAN 10)", { host: "h42", container: `a1${s}` }, "198.18.244.12", `/tmp/povs-ping-a1-${s}.pid`),
    ping(on, "containers a2->b2 on h43", { host: "h43", container: `a2${s}` }, "198.18.244.22", `/tmp/povs-ping-a2-${s}.pid`),
    ping(on, "namespace vm1 -> OpenFlow gateway", { host: "h42", netns: "vm1" }, "198.18.245.1", `/tmp/povs-ping-vm1-${s}.pid`),
    ping(on, "h42 -> h43 over VXLAN", h42, "198.18.241.2", `/tmp/povs-ping-vx-${s}.pid`),
    ping(on, "h42 -> h43 over GRE", h42, "198.18.243.2", `/tmp/povs-ping-gre-${s}.pid`),
    ping(on, "tenant t1 h42 -> h43 (br-int VLAN 100, br-tun VXLAN)", { host: "h42", netns: "t1" }, "198.18.248.2", `/tmp/povs-ping-t1-${s}.pid`),
  ];
  out.push(await tcp(on, "TCP container a1 -> b1", { host: "h42", container: `a1${s}` }, { host: "h42", container: `b1${s}` }, "198.18.244.12", 5001, `c${s}`));
  out.push(await tcp(on, "TCP h42 -> h43 over VXLAN", h42, { host: "h43" }, "198.18.241.2", 5002, `v${s}`));
  return out;
}
