/** Two projects: `unit` (pure core, no emulator) and `emulator` (run under emulators:exec). */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.test.json" }];
module.exports = {
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
      testTimeout: 60000,
    },
  ],
};
