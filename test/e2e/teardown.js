// After the e2e run (every test file, and their afterAll hooks that may still destroy stacks from a project
// directory): the CLI tests' project directories go, ~120 MB of node_modules each (test/e2e/cli.ts projectDir).
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

module.exports = async () => {
  fs.rmSync(path.join(os.tmpdir(), "povs-e2e-projects"), { recursive: true, force: true });
};
