/**
 * Helpers for tests that run under `firebase emulators:exec` against the real Firestore,
 * Pub/Sub, Auth and Functions emulators. Each test uses its own tenant id, so tests never
 * see each other's documents and nothing needs clearing.
 */
import { randomBytes } from "node:crypto";
import { paths } from "../../src/store/paths";
import { ALWAYS_OPEN_HOURS, PROJECT_ID, REGION, emulatorDb, openAllDay, publish, requireEnv, waitFor } from "../../src/tools/emulator-client";

export { ALWAYS_OPEN_HOURS, PROJECT_ID, REGION, openAllDay, publish, waitFor };
export const adminDb = emulatorDb;

/**
 * An account snapshot taken now with more buying power than any test spends, for tenants
 * whose tests are not about buying power: without a fresh snapshot every BUY is held
 * (account.require_snapshot, account.max_snapshot_age_seconds).
 */
export function ampleAccountSnapshot(buyingPower = 1_000_000_000): { equity: number; buying_power: number; as_of: string } {
  return { equity: buyingPower, buying_power: buyingPower, as_of: new Date().toISOString() };
}

/**
 * The cycle's steps without the risk guardian, for tests of another step whose numbers the
 * guardian would change (it scales an entry past 1 % of equity at risk and holds entries
 * without a usable equity reading).
 */
export const STEPS_WITHOUT_GUARDIAN = ["weights", "systemic_override", "buying_power"];

/** Ids handed out in this test file (jest gives each file its own module registry). */
const issuedTenantIds = new Set<string>();

export function uniqueTenantId(label: string): string {
  const id = `${label}-${randomBytes(4).toString("hex")}`;
  issuedTenantIds.add(id);
  return id;
}

/**
 * Deactivates, after the file, every tenant it created with uniqueTenantId (ids it used
 * for other things name no tenant and are left alone), so a later file's scheduled
 * fan-out to "every active tenant" is not a fan-out to every test tenant ever made.
 * Registered for every emulator file (test/support/retire-tenants.ts).
 */
export async function retireIssuedTenants(): Promise<void> {
  const db = emulatorDb();
  const ids = [...issuedTenantIds];
  issuedTenantIds.clear();
  await Promise.allSettled(ids.map((id) => db.doc(paths.tenant(id)).update({ active: false })));
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

/** Signs a new user up and makes them a member of the tenant with this role. */
export async function memberOf(tenantId: string, role: "viewer" | "trader" | "admin"): Promise<{ uid: string; idToken: string }> {
  const user = await signUpUser();
  await emulatorDb().doc(paths.member(tenantId, user.uid)).set({ role });
  return user;
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

/**
 * Pauses the Functions emulator's background triggers for the calling test file (through
 * the emulator hub, which emulators:exec names in FIREBASE_EMULATOR_HUB), so the test alone
 * decides when a stage runs; resumes them afterwards.
 */
export function pauseBackgroundTriggersDuringFile(): void {
  const hub = `http://${process.env.FIREBASE_EMULATOR_HUB ?? "127.0.0.1:4400"}`;
  const set = async (enabled: boolean) => {
    const response = await fetch(`${hub}/functions/${enabled ? "enable" : "disable"}BackgroundTriggers`, { method: "PUT" });
    if (!response.ok) throw new Error(`could not ${enabled ? "enable" : "disable"} background triggers: ${response.status}`);
  };
  beforeAll(() => set(false));
  afterAll(() => set(true));
}

/**
 * The broker credentials the Functions emulator presents (HUMMINGBOT_API_CREDENTIALS, from
 * functions/.secret.local through chain-key-env.js), for a loopback Hummingbot server to accept.
 */
export function hummingbotTestCredentials(): { username: string; password: string } {
  const secret = process.env.HUMMINGBOT_API_CREDENTIALS ?? "";
  const colon = secret.indexOf(":");
  if (colon <= 0) throw new Error("HUMMINGBOT_API_CREDENTIALS is not in functions/.secret.local: run under scripts/emulators.sh");
  return { username: secret.slice(0, colon), password: secret.slice(colon + 1) };
}
