/** Two projects: `unit` (pure core, no emulator) and `emulator` (run under emulators:exec). */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.test.json" }];
module.exports = {
  // Emulator tests wait for real triggers; the unit tests finish far inside this.
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
  // A global option (not per project): the emulator files in name order, the load test last.
  testSequencer: "<rootDir>/test/support/sequencer.js",
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      displayName: "emulator",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/emulator/**/*.emulator.test.ts"],
      setupFiles: ["<rootDir>/test/support/chain-key-env.js"],
      setupFilesAfterEnv: ["<rootDir>/test/support/retire-tenants.ts"],
    },
  ],
};
