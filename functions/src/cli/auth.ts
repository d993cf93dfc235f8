/**
 * Signing in as a Maestro user, through Firebase Auth's REST API (the Auth emulator's
 * when --emulators): email and password → an ID token and a refresh token; a refresh
 * token → a fresh ID token. The callables check the ID token, the membership and the role,
 * exactly as for any client app.
 */
import { CliError, EXIT } from "./exit-codes";
import { authUrls, type Target } from "./target";

export interface SignedInUser {
  uid: string;
  email: string | null;
  idToken: string;
  refreshToken: string | null;
  /** When the ID token expires (ISO). */
  expiresAt: string;
}

/** What Auth's error codes mean for a person at the terminal. */
const AUTH_ERRORS: Record<string, string> = {
  EMAIL_NOT_FOUND: "no user with that email",
  INVALID_PASSWORD: "wrong password",
  INVALID_LOGIN_CREDENTIALS: "wrong email or password",
  INVALID_EMAIL: "that is not an email address",
  USER_DISABLED: "the user is disabled",
  TOO_MANY_ATTEMPTS_TRY_LATER: "too many attempts: try again later",
  TOKEN_EXPIRED: "the sign-in has expired: run `maestro login` again",
  INVALID_REFRESH_TOKEN: "the stored sign-in is no longer valid: run `maestro login` again",
  USER_NOT_FOUND: "the user no longer exists",
  INVALID_ID_TOKEN: "the token is not valid",
};

async function post(url: string, body: string, contentType: string, what: string): Promise<any> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body, signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(EXIT.UNAVAILABLE, `cannot reach Firebase Auth for ${what} (${new URL(url).host}): ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const json = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) {
    const code = (json.error?.message ?? `HTTP ${response.status}`).split(":")[0].trim();
    const exit = code === "TOO_MANY_ATTEMPTS_TRY_LATER" ? EXIT.RATE_LIMITED : response.status >= 500 ? EXIT.UNAVAILABLE : EXIT.UNAUTHENTICATED;
    throw new CliError(exit, `${what} refused: ${AUTH_ERRORS[code] ?? code}`, code);
  }
  return json;
}

const expiry = (seconds: unknown) => new Date(Date.now() + Number(seconds ?? 3600) * 1000).toISOString();

export async function signInWithPassword(target: Target, email: string, password: string): Promise<SignedInUser> {
  const json = await post(authUrls(target).signIn, JSON.stringify({ email, password, returnSecureToken: true }), "application/json", "sign-in");
  return { uid: json.localId, email: json.email ?? email, idToken: json.idToken, refreshToken: json.refreshToken, expiresAt: expiry(json.expiresIn) };
}

export async function refreshIdToken(target: Target, refreshToken: string): Promise<SignedInUser> {
  const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString();
  const json = await post(authUrls(target).refresh, body, "application/x-www-form-urlencoded", "token refresh");
  const claims = decodeIdToken(json.id_token);
  return { uid: json.user_id, email: claims?.email ?? null, idToken: json.id_token, refreshToken: json.refresh_token, expiresAt: expiry(json.expires_in) };
}

/** The claims of an ID token (not verified here: the server verifies it on every call). */
export function decodeIdToken(token: string): { uid: string; email: string | null; expiresAt: string | null } | null {
  const parts = token.split(".");
  if (parts.length < 2) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { user_id?: string; sub?: string; email?: string; exp?: number };
    const uid = claims.user_id ?? claims.sub;
    if (!uid) return null;
    return { uid, email: claims.email ?? null, expiresAt: claims.exp ? new Date(claims.exp * 1000).toISOString() : null };
  } catch {
    return null;
  }
}
