/**
 * `npm run drift [-- --stack NAME]`: a drift check for scheduled CI. Refreshes the stack's view of its hosts in
 * a preview (nothing is written) and lists every resource whose hosts no longer match the program, with the
 * fields that differ. Exits 1 when anything drifted, 0 when not. Defaults to the demo stack on the lab; for your
 * own project the same check is `pulumi preview --refresh --expect-no-changes --diff`.
 */
import { programModule, stackFor } from "../test/e2e/harness";
import { labStackConfig } from "../test/e2e/config";
import { closeAllHosts } from "../provider/transport/pool";

interface Drift {
  urn: string;
  op: string;
  fields: string[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stackName = args[args.indexOf("--stack") + 1] && args.includes("--stack") ? args[args.indexOf("--stack") + 1] : "demo";
  const program = await programModule<() => Promise<Record<string, unknown>>>("examples/demo-004/index.js");
  const { stack } = await stackFor(stackName, program, labStackConfig());
  const drifts: Drift[] = [];
  await stack.preview({
    refresh: true,
    diff: true,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (!m || m.op === "same" || m.op === "refresh" || m.op === "read") return;
      // Dynamic providers report no detailed diff: compare the old and new inputs ourselves.
      const olds = (m.old?.inputs ?? {}) as Record<string, unknown>;
      const news = (m.new?.inputs ?? {}) as Record<string, unknown>;
      const fields = m.diffs?.length
        ? [...m.diffs]
        : [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => k !== "__provider" && k !== "connection" && JSON.stringify(olds[k]) !== JSON.stringify(news[k])).map((k) => `${k}: ${JSON.stringify(olds[k])} => ${JSON.stringify(news[k])}`);
      drifts.push({ urn: m.urn, op: m.op, fields: m.op === "create" ? ["missing on the host"] : fields });
    },
  });
  if (drifts.length === 0) {
    console.log(`no drift: stack ${stackName} matches its hosts`);
    return;
  }
  console.log(`DRIFT: ${drifts.length} resource(s) of stack ${stackName} no longer match their hosts:`);
  for (const d of drifts) {
    const [, , type, name] = d.urn.split("::");
    console.log(`  ${d.op.padEnd(8)} ${type.replace("pulumi-nodejs:dynamic/ovs:", "")} ${name}${d.fields.length ? `  (${d.fields.join(", ")})` : ""}`);
  }
  console.log("run `pulumi up --refresh` (npm run demo) to repair");
  process.exitCode = 1;
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  })
  .finally(() => closeAllHosts());
