/**
 * Deploy-time configuration through the params module. Per-tenant thresholds live in
 * Firestore (`tenants/{t}/config/maestro`), not here.
 */
import { defineBoolean, defineInt, defineSecret, defineString } from "firebase-functions/params";
import { parseChainKeys, type ChainKeys } from "./core/chain-keys";

/** Gemini API key. Unset → every summary is the written one (ai_summary_source "written"). */
export const geminiApiKey = defineSecret("GEMINI_API_KEY");

/** Gemini endpoint; tests and local runs point it at a loopback server (functions/.env). */
export const geminiBaseUrl = defineString("GEMINI_BASE_URL", {
  default: "https://generativelanguage.googleapis.com",
  description: "Base URL of the Gemini API",
});

/** IANA time zone of the scheduled jobs (the trading venue's). */
export const scheduleTimeZone = defineString("MAESTRO_SCHEDULE_TIME_ZONE", {
  default: "America/New_York",
  description: "Time zone of the nightly rollup and the weight schedule",
});

/**
 * App Check on the callables: true for deployments (functions/.env), false in the emulator
 * (functions/.env.local, which only the emulator reads), where no App Check tokens exist.
 */
export const enforceAppCheck = defineBoolean("MAESTRO_ENFORCE_APP_CHECK", {
  default: true,
  description: "Reject callable requests without a valid App Check token",
});

/**
 * Instances of the per-tenant cycle chain (market cycle, log writer, audit): one message
 * per tenant, one instance each, so the fan-out runs side by side. Other functions keep
 * the global cap of 20.
 */
export const cycleMaxInstances = defineInt("MAESTRO_CYCLE_MAX_INSTANCES", {
  default: 200,
  description: "Max instances of onMarketCycle, onOrchestrationCreated and onOrchestrationLogCreated",
});

/**
 * Keys of the tenant log chains, `id:secret` entries separated by commas, the first one
 * signing (core/chain-keys.ts). Unset → the chains are unkeyed and every audit says so.
 * Locally, scripts/emulators.sh writes a random one into functions/.secret.local.
 */
export const logChainKeys = defineSecret("MAESTRO_LOG_CHAIN_KEYS");

/**
 * The Hummingbot API server's HTTP Basic credentials, "username:password" (issue 11): the
 * broker an emergency stop flattens through, where a tenant's config names one. Locally,
 * scripts/emulators.sh writes a random pair into functions/.secret.local.
 */
export const hummingbotCredentials = defineSecret("HUMMINGBOT_API_CREDENTIALS");

/**
 * The key generic alert webhooks are signed with (HMAC-SHA256 over "{timestamp}.{body}",
 * stages/alerts.ts); receivers hold the same key. Unset: webhook deliveries fail with that reason.
 */
export const alertSigningKey = defineSecret("MAESTRO_ALERT_SIGNING_KEY");

/** The configured chain keys, read inside a handler that binds logChainKeys; throws ChainKeyError when malformed. */
export function configuredChainKeys(): ChainKeys | null {
  // process.env directly when unset, so code run outside a function (tests, tools) gets no warning.
  return process.env[logChainKeys.name] ? parseChainKeys(logChainKeys.value()) : null;
}

/**
 * Platform ceilings of the client API's per-user rate limits, in calls per user per
 * minute. A tenant's `rate_limits` above one is refused by updateMaestroConfig, and the
 * callables never allow more than the ceiling whatever the stored config says.
 */
export const rateCeilingOrchestrateNow = defineInt("MAESTRO_RATE_CEILING_ORCHESTRATE_NOW", {
  default: 60,
  description: "Most orchestrateNow calls per user per minute any tenant may allow",
});
export const rateCeilingWriteCalls = defineInt("MAESTRO_RATE_CEILING_WRITE_CALLS", {
  default: 60,
  description: "Most calls in the write_calls bucket (setStrategyMode, updateMaestroConfig, …) per user per minute any tenant may allow",
});
export const rateCeilingVerifyChain = defineInt("MAESTRO_RATE_CEILING_VERIFY_CHAIN", {
  default: 30,
  description: "Most verifyLogChain and replayOrchestration calls per user per minute any tenant may allow",
});
export const rateCeilingAsk = defineInt("MAESTRO_RATE_CEILING_ASK", {
  default: 60,
  description: "Most askMaestro calls per user per minute any tenant may allow",
});
export const rateCeilingAgentCalls = defineInt("MAESTRO_RATE_CEILING_AGENT_CALLS", {
  default: 300,
  description: "Most respondToAgentTask and agentHeartbeat calls per strategy agent per minute any tenant may allow",
});
