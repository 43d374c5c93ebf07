/**
 * `npm run drift [-- --stack NAME]`: the package's `pulumi-ovs drift` command (dist/cli/main.js) against the demo
 * stack on the lab. The demo stack belongs to the scratch project of test/e2e/harness.ts (inline program, file://
 * backend, passphrase in engineEnv()), so this prepares a project directory the Pulumi CLI can run there: a
 * Pulumi.yaml of the same project, an index.js that loads the compiled demo program, the stack's config (set as
 * `npm run demo` sets it) and the scratch project's node_modules. In your own project the same check is `npx pulumi-ovs drift --stack NAME`.
 * Exits like the command: 0 no drift, 1 drift, 2 error.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKEND, PROJECT, engineEnv, scratchProject, stackFor } from "../test/e2e/harness";
import { labStackConfig } from "../test/e2e/config";
import { REPO_ROOT } from "../test/helpers/lab";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf("--stack");
  const stackName = i >= 0 && args[i + 1] ? args[i + 1] : "demo";
  // The stack and its config, as `npm run demo` makes them (nothing is deployed here).
  await stackFor(stackName, async () => undefined, labStackConfig());
  const scratch = await scratchProject();
  const dir = path.join(scratch, "cli-demo");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nbackend:\n  url: file://${BACKEND}\n`);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pulumi-ovs-demo-cli", private: true, main: "index.js" }, null, 2));
  fs.writeFileSync(path.join(dir, "index.js"), 'module.exports = require("../out/examples/demo-004/index.js");\n');
  fs.copyFileSync(path.join(scratch, `Pulumi.${stackName}.yaml`), path.join(dir, `Pulumi.${stackName}.yaml`));
  // The dynamic-provider launcher runs ./node_modules/@pulumi/pulumi from the project directory.
  if (!fs.existsSync(path.join(dir, "node_modules"))) fs.symlinkSync(path.join(scratch, "node_modules"), path.join(dir, "node_modules"));
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "dist/cli/main.js"), "drift", "--stack", stackName, "--cwd", dir], {
    stdio: "inherit",
    env: { ...process.env, ...engineEnv() },
  });
  if (r.error) throw r.error;
  process.exitCode = r.status ?? 2;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
