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
import { roleAllows, takeRateTokenUnderCeiling, type RateCeilings, type RateLimitBucket } from "../core/access";
import { AGENT_CLAIM, AgentCredentialSchema, MemberSchema, parseWithReason, type MaestroConfig, type Role } from "../schemas";
import { loadMaestroConfig } from "../store/config";
import { IoCount, maestroDb, parseDoc } from "../store/firestore";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { enforceAppCheck, rateCeilingAgentCalls, rateCeilingOrchestrateNow, rateCeilingVerifyChain, rateCeilingWriteCalls, rateCeilingAsk } from "../params";

export type { RateLimitBucket };

/** The platform's rate-limit ceilings (deploy params), calls per user per minute. */
export function platformRateCeilings(): RateCeilings {
  return {
    orchestrate_now: rateCeilingOrchestrateNow.value(),
    write_calls: rateCeilingWriteCalls.value(),
    verify_chain: rateCeilingVerifyChain.value(),
    ask: rateCeilingAsk.value(),
    agent_calls: rateCeilingAgentCalls.value(),
  };
}

/** The deploy param that sets each bucket's ceiling, named in refusals. */
export const CEILING_PARAMS: Record<RateLimitBucket, string> = {
  orchestrate_now: "MAESTRO_RATE_CEILING_ORCHESTRATE_NOW",
  write_calls: "MAESTRO_RATE_CEILING_WRITE_CALLS",
  verify_chain: "MAESTRO_RATE_CEILING_VERIFY_CHAIN",
  ask: "MAESTRO_RATE_CEILING_ASK",
  agent_calls: "MAESTRO_RATE_CEILING_AGENT_CALLS",
};

const BUCKET_CALLS: Record<RateLimitBucket, string> = {
  orchestrate_now: "orchestrateNow calls",
  write_calls: "write calls",
  verify_chain: "verifyLogChain and replayOrchestration calls",
  ask: "askMaestro calls",
  agent_calls: "respondToAgentTask and agentHeartbeat calls",
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
  /** Function options; every callable sets them (defaults 60 s, 256 MiB). */
  timeoutSeconds?: number;
  memory?: "256MiB" | "512MiB" | "1GiB";
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

/**
 * Takes one call from the caller's allowance in a transaction, or refuses with
 * resource-exhausted. Both the tenant's rule (config.rate_limits) and the platform's
 * ceiling per minute apply, so a config written around updateMaestroConfig cannot lift
 * a user above the ceiling.
 */
export async function consumeRateLimit(
  db: Firestore,
  callable: string,
  tenantId: string,
  uid: string,
  bucket: RateLimitBucket,
  now: Date,
  ceilings: RateCeilings = platformRateCeilings(),
): Promise<void> {
  const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
  await takeCall(db, callable, tenantId, uid, bucket, now, config, ceilings);
}

/** consumeRateLimit under a config the caller has already loaded. */
async function takeCall(db: Firestore, callable: string, tenantId: string, uid: string, bucket: RateLimitBucket, now: Date, config: MaestroConfig, ceilings: RateCeilings): Promise<void> {
  const limit = config.rate_limits[bucket];
  const windowMs = config.rate_limits.window_seconds * 1000;
  const ceiling = ceilings[bucket];
  const ref = db.doc(paths.rateLimit(tenantId, uid));
  const decision = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const previous = snap.get(bucket);
    const d = takeRateTokenUnderCeiling(Array.isArray(previous) ? previous : [], now.getTime(), { limit, windowMs }, ceiling);
    if (d.allowed) tx.set(ref, { [bucket]: d.calls, updated_at: now.toISOString() }, { merge: true });
    return d;
  });
  if (!decision.allowed) {
    const seconds = Math.ceil(decision.retry_after_ms / 1000);
    const rule =
      decision.limited_by === "platform"
        ? `at most ${ceiling} ${BUCKET_CALLS[bucket]} per 60 s per user (platform ceiling ${CEILING_PARAMS[bucket]})`
        : `at most ${limit} ${BUCKET_CALLS[bucket]} per ${config.rate_limits.window_seconds} s per user (rate_limits.${bucket})`;
    const when = Number.isFinite(decision.retry_after_ms) ? `retry in ${seconds} s` : "no call is allowed until it is raised";
    refuse({ name: callable }, "resource-exhausted", `rate limit: ${rule}; ${when}`, { tenant_id: tenantId, uid });
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

/** A callable's spec and handler: what the front door runs for it, from Cloud Functions or from another caller. */
export interface CallableDefinition<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType> {
  spec: CallableSpec<Req, Res>;
  handler: CallHandler<z.infer<Req>, z.infer<Res>>;
}

/** The deployed function, carrying its definition so index.ts can hand it to askMaestro's specialists. */
export type MaestroCallable<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType> = CallableFunction<unknown, Promise<z.infer<Res>>> & {
  definition: CallableDefinition<Req, Res>;
};

/** A Maestro callable: App Check per the MAESTRO_ENFORCE_APP_CHECK param, then handleCall. */
export function maestroCallable<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType>(
  spec: CallableSpec<Req, Res>,
  handler: CallHandler<z.infer<Req>, z.infer<Res>>,
): MaestroCallable<Req, Res> {
  const options = {
    enforceAppCheck,
    timeoutSeconds: spec.timeoutSeconds ?? 60,
    memory: spec.memory ?? "256MiB",
    ...(spec.secrets ? { secrets: spec.secrets } : {}),
  };
  const fn = onCall<unknown, Promise<z.infer<Res>>>(options, (request) => handleCall(spec, handler, maestroDb(), request));
  return Object.assign(fn, { definition: { spec, handler } });
}

// ---------------------------------------------------------------------------
// The agents' front door (issue 14): a strategy agent's custom token, not a membership
// ---------------------------------------------------------------------------

export interface AgentCallableSpec<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType> {
  name: string;
  request: Req;
  response: Res;
}

export interface AgentCallContext<Req> {
  db: Firestore;
  /** The agent's uid: its credential's id. */
  agentId: string;
  /** The strategy its credential names: the only one it acts for. */
  strategyId: string;
  tenantId: string;
  /** The tenant's config in force (read once for the rate limit). */
  config: MaestroConfig;
  data: Req;
  now: Date;
}

/**
 * Signed in with an agent's token → its claim names a tenant and strategy → payload valid
 * → the payload's tenant is the claim's → the credential document is active and names the
 * same strategy (read on every call, so a revocation refuses the very next one) → within
 * the agent's rate limit (rate_limits.agent_calls, per agent) → the handler → a response that matches its schema. A member's token is refused: members use
 * the member callables.
 */
export async function handleAgentCall<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType>(
  spec: AgentCallableSpec<Req, Res>,
  handler: (ctx: AgentCallContext<z.infer<Req>>) => Promise<z.infer<Res>>,
  db: Firestore,
  request: { auth?: { uid: string; token?: Record<string, unknown> } | null; data: unknown },
  now = new Date(),
): Promise<z.infer<Res>> {
  if (!request.auth) refuse(spec, "unauthenticated", `sign in with your agent credential to call ${spec.name}`, {});
  const uid = request.auth.uid;
  const claim = request.auth.token?.[AGENT_CLAIM] as { tenant_id?: unknown; strategy_id?: unknown } | undefined;
  if (!claim || typeof claim.tenant_id !== "string" || typeof claim.strategy_id !== "string") {
    refuse(spec, "permission-denied", `${spec.name} is for strategy agents: sign in with the custom token issueAgentCredential gave your agent`, { uid });
  }
  const payload = parseWithReason(spec.request, request.data);
  if (!payload.ok) refuse(spec, "invalid-argument", payload.reason, { uid });
  const tenantId = payload.value.tenant_id;
  if (tenantId !== claim.tenant_id) refuse(spec, "permission-denied", `tenant_id: your credential is for tenant '${claim.tenant_id}', not '${tenantId}'`, { uid });
  const snap = await db.doc(paths.agent(tenantId, uid)).get();
  if (!snap.exists) refuse(spec, "permission-denied", `no agent credential '${uid}' in tenant '${tenantId}'`, { tenant_id: tenantId, uid });
  const credential = parseDoc(AgentCredentialSchema, snap);
  if (!credential.ok) refuse(spec, "permission-denied", `agent credential '${uid}' is malformed (${credential.reason})`, { tenant_id: tenantId, uid });
  if (credential.value.status !== "active") {
    refuse(spec, "permission-denied", `agent credential '${uid}' was revoked at ${credential.value.revoked_at} by ${credential.value.revoked_by}: ${credential.value.revoke_reason}`, { tenant_id: tenantId, uid });
  }
  if (credential.value.strategy_id !== claim.strategy_id) {
    refuse(spec, "permission-denied", `agent credential '${uid}' names strategy '${credential.value.strategy_id}', not the token's '${claim.strategy_id}'`, { tenant_id: tenantId, uid });
  }
  // A flood of answers would contend for the run's document with every other agent's: each agent has its own allowance.
  const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
  await takeCall(db, spec.name, tenantId, uid, "agent_calls", now, config, platformRateCeilings());

  const result = await handler({ db, agentId: uid, strategyId: credential.value.strategy_id, tenantId, config, data: payload.value, now });
  const checked = spec.response.safeParse(result);
  if (!checked.success) {
    logEvent.callBadResponse({ callable: spec.name, tenant_id: tenantId, issues: checked.error.issues.slice(0, 5) });
    throw new HttpsError("internal", `${spec.name} produced a response that does not match its schema`);
  }
  return checked.data;
}

/** An agents' callable: App Check per the MAESTRO_ENFORCE_APP_CHECK param, then handleAgentCall. */
export function agentCallable<Req extends z.ZodType<{ tenant_id: string }>, Res extends z.ZodType>(
  spec: AgentCallableSpec<Req, Res>,
  handler: (ctx: AgentCallContext<z.infer<Req>>) => Promise<z.infer<Res>>,
): CallableFunction<unknown, Promise<z.infer<Res>>> {
  return onCall<unknown, Promise<z.infer<Res>>>({ enforceAppCheck, timeoutSeconds: 60, memory: "256MiB" }, (request) => handleAgentCall(spec, handler, maestroDb(), request));
}
