#!/usr/bin/env node
// `maestro`, Maestro's operator CLI (`npx maestro --help` from the repository root).
// The CLI is TypeScript compiled with the functions: functions/lib/cli/main.js.
"use strict";
const path = require("node:path");
const main = path.join(__dirname, "..", "functions", "lib", "cli", "main.js");
let cli;
try {
  cli = require(main);
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes(main)) {
    process.stderr.write("maestro: the CLI is not built yet: run `npm run build` first (from the repository root)\n");
    process.exit(2);
  }
  throw error;
}
cli.run(process.argv.slice(2)).then((code) => process.exit(code));
