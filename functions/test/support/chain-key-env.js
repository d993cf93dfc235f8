/**
 * Emulator tests call stages in-process (the log writer, the audit, verifyTenantChain)
 * beside the Functions emulator; both must use the same chain key. The emulator reads
 * MAESTRO_LOG_CHAIN_KEYS from functions/.secret.local (scripts/emulators.sh writes one),
 * so the test process reads it from there too.
 */
const fs = require("node:fs");
const path = require("node:path");

// The broker's credentials likewise (HUMMINGBOT_API_CREDENTIALS): the loopback Hummingbot
// API server a test starts accepts the ones the Functions emulator will present.
for (const name of ["MAESTRO_LOG_CHAIN_KEYS", "HUMMINGBOT_API_CREDENTIALS", "MAESTRO_ALERT_SIGNING_KEY"]) {
  if (process.env[name]) continue;
  const file = path.join(__dirname, "..", "..", ".secret.local");
  if (!fs.existsSync(file)) continue;
  const line = fs.readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith(`${name}=`));
  if (line) process.env[name] = line.slice(name.length + 1).replace(/^["']|["']$/g, "");
}

// The non-secret params (functions/.env: rate-limit ceilings, the schedule's time zone, …)
// likewise, so a stage called in-process (handleCall in ask.emulator.test.ts) reads the
// values the Functions emulator runs with rather than unset params.
{
  const file = path.join(__dirname, "..", "..", ".env");
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2].replace(/^["']|["']$/g, "");
    }
  }
}
