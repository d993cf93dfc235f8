/**
 * The client API's front door, shared by every callable: signed in → payload valid →
 * member of the tenant with the role the callable needs → within the rate limit → the
 * handler → a response that matches its schema. The Admin SDK bypasses security rules,
 * so this is where membership and role are enforced for everything a callable touches.
 *
 * Each refusal is an HttpsError whose message names the field or the rule:
 * unauthenticated, invalid-argument, permission-denied, resource-exhausted; handlers add
 * not-found and failed-precondition.
 */
import type { Firestore } from "firebase-admin/firestore";
import { HttpsError, onCall, type CallableFunction } from "firebase-functions/v2/https";
import type { SecretParam } from "firebase-functions/params";
import type { z } from "zod";
import { roleAllows, takeRateToken } from "../core/access";
import { MemberSchema, parseWithReason, type Role } from "../schemas";
import { loadMaestroConfig } from "../store/config";
import { IoCount, maestroDb, parseDoc } from "../store/firestore";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { enforceAppCheck } from "../params";

export type RateLimitBucket = "orchestrate_now" | "write_calls" | "verify_chain";

const BUCKET_CALLS: Record<RateLimitBucket, string> = {
  orchestrate_now: "orchestrateNow calls",
  write_calls: "write calls",
  verify_chain: "verifyLogChain calls",
};

export interface CallableSpec<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType> {
  name: string;
  request: Req;
  response: Res;
  /** The lowest role that may call it. */
  role: Role;
  /** Counted against this per-user limit (config.rate_limits). */
  rateLimit?: RateLimitBucket;
  /** Secrets the handler reads (bound to the function). */
  secrets?: SecretParam[];
  timeoutSeconds?: number;
}

export interface CallContext<Req> {
  db: Firestore;
  uid: string;
  role: Role;
  tenantId: string;
  data: Req;
  now: Date;
}

export type CallHandler<Req, Res> = (ctx: CallContext<Req>) => Promise<Res>;

function refuse(spec: { name: string }, code: "unauthenticated" | "invalid-argument" | "permission-denied" | "resource-exhausted", message: string, fields: Record<string, unknown>): never {
  logEvent.callRefused({ callable: spec.name, code, message, ...fields });
  throw new HttpsError(code, message);
}

/** Reads the caller's membership and checks the role; returns the caller's role. */
export async function authorize(db: Firestore, callable: string, tenantId: string, uid: string, required: Role): Promise<Role> {
  const snap = await db.doc(paths.member(tenantId, uid)).get();
  if (!snap.exists) {
    refuse({ name: callable }, "permission-denied", `not a member of tenant '${tenantId}'`, { tenant_id: tenantId, uid });
  }
  const member = parseDoc(MemberSchema, snap);
  if (!member.ok) {
    refuse({ name: callable }, "permission-denied", `membership of tenant '${tenantId}' is malformed (${member.reason})`, { tenant_id: tenantId, uid });
  }
  if (!roleAllows(member.value.role, required)) {
    refuse(
      { name: callable },
      "permission-denied",
      `${callable} requires the ${required} role; you are a ${member.value.role} of tenant '${tenantId}'`,
      { tenant_id: tenantId, uid },
    );
  }
  return member.value.role;
}

/** Takes one call from the caller's allowance in a transaction, or refuses with resource-exhausted. */
export async function consumeRateLimit(db: Firestore, callable: string, tenantId: string, uid: string, bucket: RateLimitBucket, now: Date): Promise<void> {
  const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
  const limit = config.rate_limits[bucket];
  const windowMs = config.rate_limits.window_seconds * 1000;
  const ref = db.doc(paths.rateLimit(tenantId, uid));
  const decision = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const previous = snap.get(bucket);
    const d = takeRateToken(Array.isArray(previous) ? previous : [], now.getTime(), limit, windowMs);
    if (d.allowed) tx.set(ref, { [bucket]: d.calls, updated_at: now.toISOString() }, { merge: true });
    return d;
  });
  if (!decision.allowed) {
    const seconds = Math.ceil(decision.retry_after_ms / 1000);
    refuse(
      { name: callable },
      "resource-exhausted",
      `rate limit: at most ${limit} ${BUCKET_CALLS[bucket]} per ${config.rate_limits.window_seconds} s per user (rate_limits.${bucket}); retry in ${seconds} s`,
      { tenant_id: tenantId, uid },
    );
  }
}

/** The whole front door for one request, without the Cloud Functions wrapper (tests call it). */
export async function handleCall<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType>(
  spec: CallableSpec<Req, Res>,
  handler: CallHandler<z.infer<Req>, z.infer<Res>>,
  db: Firestore,
  request: { auth?: { uid: string } | null; data: unknown },
  now = new Date(),
): Promise<z.infer<Res>> {
  if (!request.auth) refuse(spec, "unauthenticated", `sign in to call ${spec.name}`, {});
  const uid = request.auth.uid;
  const payload = parseWithReason(spec.request, request.data);
  if (!payload.ok) refuse(spec, "invalid-argument", payload.reason, { uid });
  const tenantId = payload.value.tenant_id;

  const role = await authorize(db, spec.name, tenantId, uid, spec.role);
  if (spec.rateLimit) await consumeRateLimit(db, spec.name, tenantId, uid, spec.rateLimit, now);

  const result = await handler({ db, uid, role, tenantId, data: payload.value, now });
  const checked = spec.response.safeParse(result);
  if (!checked.success) {
    logEvent.callBadResponse({ callable: spec.name, tenant_id: tenantId, issues: checked.error.issues.slice(0, 5) });
    throw new HttpsError("internal", `${spec.name} produced a response that does not match its schema`);
  }
  return checked.data;
}

/** A Maestro callable: App Check per the MAESTRO_ENFORCE_APP_CHECK param, then handleCall. */
export function maestroCallable<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType>(
  spec: CallableSpec<Req, Res>,
  handler: CallHandler<z.infer<Req>, z.infer<Res>>,
): CallableFunction<unknown, Promise<z.infer<Res>>> {
  const options = {
    enforceAppCheck,
    ...(spec.secrets ? { secrets: spec.secrets } : {}),
    ...(spec.timeoutSeconds ? { timeoutSeconds: spec.timeoutSeconds } : {}),
  };
  return onCall<unknown, Promise<z.infer<Res>>>(options, (request) => handleCall(spec, handler, maestroDb(), request));
}
