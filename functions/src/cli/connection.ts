/**
 * The CLI signed in as a user: callables through the callable protocol (what the client
 * SDKs send: POST {data}, Authorization: Bearer <ID token>), so the front door
 * (stages/callable.ts) checks the membership, the role and the rate limits as for any
 * client app; and, for what no callable serves (live listeners, the report's history),
 * Firestore through the `firebase` web SDK as the same user, under the security rules.
 */
import type { Firestore } from "firebase/firestore";
import { CliError, EXIT, exitCodeForStatus as exitCodeFor } from "./exit-codes";
import { callableUrl, type Target } from "./target";

export interface Identity {
  uid: string;
  email: string | null;
  idToken: string;
  /** Where the identity came from, for `whoami` and the error messages. */
  source: "login" | "token" | "env";
}

export interface Connection {
  readonly target: Target;
  readonly identity: Identity;
  /** Calls a callable; a refusal is a CliError whose exit code follows its status. */
  call<T = unknown>(name: string, data: unknown, options?: { timeoutMs?: number }): Promise<T>;
  /** Firestore as the signed-in user (the web SDK, loaded on first use). */
  firestore(): Promise<Firestore>;
  close(): Promise<void>;
}

function unreachable(url: string, error: unknown, target: Target): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = (error as Error).name === "TimeoutError" ? "timed out" : cause?.code ?? cause?.message ?? (error as Error).message;
  const hint = target.emulators ? " (are the emulators running? `npm run emulators`)" : "";
  return new CliError(EXIT.UNAVAILABLE, `cannot reach ${url}: ${why}${hint}`, "UNAVAILABLE");
}

export async function callCallable(target: Target, idToken: string, name: string, data: unknown, timeoutMs = 120_000): Promise<unknown> {
  const url = callableUrl(target, name);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ data }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw unreachable(url, error, target);
  }
  const text = await response.text();
  let body: { result?: unknown; error?: { status?: string; message?: string } } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (body && "result" in body && response.ok) return body.result;
  if (body?.error) {
    const status = body.error.status ?? "UNKNOWN";
    throw new CliError(exitCodeFor(status), `${name}: ${body.error.message ?? status} (${status})`, status);
  }
  if (response.status === 404) {
    throw new CliError(EXIT.UNAVAILABLE, `${name} is not deployed at ${url} (HTTP 404)`, "UNIMPLEMENTED");
  }
  throw new CliError(EXIT.UNAVAILABLE, `${name}: unexpected HTTP ${response.status} from ${url}: ${text.slice(0, 200)}`, "UNKNOWN");
}

export function connect(target: Target, identity: Identity): Connection {
  let db: Promise<{ db: Firestore; close: () => Promise<void> }> | null = null;
  return {
    target,
    identity,
    call: async <T>(name: string, data: unknown, options?: { timeoutMs?: number }) =>
      (await callCallable(target, identity.idToken, name, data, options?.timeoutMs)) as T,
    firestore: async () => {
      db ??= openFirestore(target, identity.idToken);
      return (await db).db;
    },
    close: async () => {
      if (db) await (await db).close();
    },
  };
}

/**
 * The web SDK on a FirebaseServerApp: it takes the ID token as it is (authIdToken), so
 * Firestore's reads and listeners run as this user under the security rules.
 */
async function openFirestore(target: Target, idToken: string): Promise<{ db: Firestore; close: () => Promise<void> }> {
  const { initializeServerApp, deleteApp } = await import("firebase/app");
  const { getAuth, connectAuthEmulator } = await import("firebase/auth");
  const { initializeFirestore, connectFirestoreEmulator, terminate } = await import("firebase/firestore");
  const app = initializeServerApp(
    { apiKey: target.apiKey, projectId: target.projectId, authDomain: `${target.projectId}.firebaseapp.com` },
    { authIdToken: idToken },
  );
  const auth = getAuth(app);
  if (target.emulators) connectAuthEmulator(auth, `http://${target.emulators.auth}`, { disableWarnings: true });
  await auth.authStateReady();
  if (!auth.currentUser) throw new CliError(EXIT.UNAUTHENTICATED, "Firestore refused the sign-in: run `maestro login` again", "UNAUTHENTICATED");
  const db = initializeFirestore(app, {});
  if (target.emulators) {
    const [host, port] = target.emulators.firestore.split(":");
    connectFirestoreEmulator(db, host, Number(port));
  }
  return {
    db,
    close: async () => {
      await terminate(db);
      await deleteApp(app);
    },
  };
}
