/**
 * Talking to a running Emulator Suite from a script or test: the Admin SDK pointed at the
 * emulators, Pub/Sub publishing through the emulator's REST API, polling with a deadline.
 * The emulator hosts come from the environment that `firebase emulators:exec` sets.
 */
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

export const PROJECT_ID = process.env.GCLOUD_PROJECT ?? "demo-maestro";
export const REGION = "us-central1";

/**
 * A venue open every day, all day, on UTC days (a crypto desk's hours): the trading session
 * of a tenant with these hours is ACTIVE_TRADING whatever the hour a test, the demo or a
 * benchmark runs at. Tests of the clock itself use real hours and an injected clock.
 */
export const ALWAYS_OPEN_HOURS = { time_zone: "UTC", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] as string[] };

/** `config` with the always-open hours unless it names its own market_hours. */
export function openAllDay(config: Record<string, unknown> = {}): Record<string, unknown> {
  return { market_hours: ALWAYS_OPEN_HOURS, ...config };
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this under the emulators (scripts/emulators.sh exec ...)`);
  return value;
}

/** The Admin SDK's Firestore, on the emulator (refuses to run without one). */
export function emulatorDb(): Firestore {
  requireEnv("FIRESTORE_EMULATOR_HOST");
  if (!getApps().some((app) => app.name === "[DEFAULT]")) initializeApp({ projectId: PROJECT_ID });
  return getFirestore();
}

/** Polls `probe` until it returns something other than undefined, or fails after the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Publishes one message (JSON, or a raw string) to a topic on the Pub/Sub emulator. */
export async function publish(topic: string, body: unknown): Promise<string> {
  const host = requireEnv("PUBSUB_EMULATOR_HOST");
  const data = Buffer.from(typeof body === "string" ? body : JSON.stringify(body)).toString("base64");
  const response = await fetch(`http://${host}/v1/projects/${PROJECT_ID}/topics/${topic}:publish`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ data }] }),
  });
  if (!response.ok) throw new Error(`publish to ${topic} failed: ${response.status} ${await response.text()}`);
  const json = (await response.json()) as { messageIds: string[] };
  return json.messageIds[0];
}
