/**
 * Emulator tests call stages in-process (the log writer, the audit, verifyTenantChain)
 * beside the Functions emulator; both must use the same chain key. The emulator reads
 * MAESTRO_LOG_CHAIN_KEYS from functions/.secret.local (scripts/emulators.sh writes one),
 * so the test process reads it from there too.
 */
const fs = require("node:fs");
const path = require("node:path");

if (!process.env.MAESTRO_LOG_CHAIN_KEYS) {
  const file = path.join(__dirname, "..", "..", ".secret.local");
  if (fs.existsSync(file)) {
    const line = fs.readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith("MAESTRO_LOG_CHAIN_KEYS="));
    if (line) process.env.MAESTRO_LOG_CHAIN_KEYS = line.slice("MAESTRO_LOG_CHAIN_KEYS=".length).replace(/^["']|["']$/g, "");
  }
}
