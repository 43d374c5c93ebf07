// After the e2e run (every test file, and their afterAll hooks that may still destroy stacks from a project
// directory): this run's CLI project directories go, ~120 MB of node_modules each (test/e2e/setup.js).
const fs = require("node:fs");

module.exports = async () => {
  if (process.env.POVS_E2E_PROJECTS) fs.rmSync(process.env.POVS_E2E_PROJECTS, { recursive: true, force: true });
};
