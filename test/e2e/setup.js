// Before the e2e run: this run's own directory for the CLI tests' projects (test/e2e/cli.ts projectDir), so
// that the teardown of one jest run never removes the projects of another running beside it.
const os = require("node:os");
const path = require("node:path");

module.exports = async () => {
  process.env.POVS_E2E_PROJECTS ??= path.join(os.tmpdir(), "povs-e2e-projects", `run-${process.pid}`);
};
