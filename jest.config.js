// Three projects: pure unit tests, lab integration tests (real OVS/sshd/docker), engine e2e (real Pulumi CLI).
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json" }];
// .cache holds scratch copies of the examples (same package names): keep them out of jest's module map.
const common = { testEnvironment: "node", modulePathIgnorePatterns: ["<rootDir>/.cache/"], transform: { "^.+\\.ts$": tsJest }, moduleFileExtensions: ["ts", "js", "json"] };
module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...common, displayName: "lab", testMatch: ["<rootDir>/test/lab/**/*.test.ts"] },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"], globalSetup: "<rootDir>/test/e2e/setup.js", globalTeardown: "<rootDir>/test/e2e/teardown.js" },
  ],
};
