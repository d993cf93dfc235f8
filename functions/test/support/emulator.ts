/**
 * Helpers for tests that run under `firebase emulators:exec` against the real Firestore,
 * Pub/Sub, Auth and Functions emulators. Each test uses its own tenant id, so tests never
 * see each other's documents and nothing needs clearing.
 */
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { randomBytes } from "node:crypto";

export const PROJECT_ID = process.env.GCLOUD_PROJECT ?? "demo-maestro";
const REGION = "us-central1";

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the emulator tests through 'npm test' (firebase emulators:exec)`);
  return value;
}

export function adminDb(): Firestore {
  requireEnv("FIRESTORE_EMULATOR_HOST");
  if (!getApps().some((app) => app.name === "[DEFAULT]")) initializeApp({ projectId: PROJECT_ID });
  return getFirestore();
}

export function uniqueTenantId(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}`;
}

/** Polls `probe` until it returns a value other than undefined, or fails after the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
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
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Publishes a JSON message to a topic on the Pub/Sub emulator through its REST API. */
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

/** Signs a new user up on the Auth emulator and returns its ID token. */
export async function signUpUser(): Promise<{ uid: string; idToken: string }> {
  const host = requireEnv("FIREBASE_AUTH_EMULATOR_HOST");
  const email = `trader-${randomBytes(4).toString("hex")}@maestro.test`;
  const response = await fetch(`http://${host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct-horse-battery", returnSecureToken: true }),
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const json = (await response.json()) as { localId: string; idToken: string };
  return { uid: json.localId, idToken: json.idToken };
}

function functionsOrigin(): string {
  return process.env.FUNCTIONS_EMULATOR_ORIGIN ?? "http://127.0.0.1:5001";
}

/** Calls a callable function through the callable protocol (as the client SDKs do). */
export async function callCallable(
  name: string,
  data: unknown,
  idToken?: string,
): Promise<{ status: number; result?: any; error?: { status: string; message: string } }> {
  const response = await fetch(`${functionsOrigin()}/${PROJECT_ID}/${REGION}/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(idToken ? { authorization: `Bearer ${idToken}` } : {}) },
    body: JSON.stringify({ data }),
  });
  const json = (await response.json()) as { result?: unknown; error?: { status: string; message: string } };
  return { status: response.status, ...json };
}
