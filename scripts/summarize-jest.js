// Sums jest --json result files into the plain closing line CI reads: "tests: N passed, N failed, N skipped".
const fs = require("node:fs");
let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
for (const f of process.argv.slice(2)) {
  if (!fs.existsSync(f)) { console.log(`${f}: no results (jest was stopped or crashed)`); suitesFailed++; continue; }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  suitesFailed += r.numRuntimeErrorTestSuites;
}
if (suitesFailed) console.log(`(${suitesFailed} test suites failed to run)`);
console.log(`tests: ${passed} passed, ${failed + suitesFailed} failed, ${skipped} skipped`);
process.exit(failed + suitesFailed > 0 ? 1 : 0);
