/**
 * Strategy agents' identities (issue 14): an admin issues one credential per strategy and
 * can revoke it at once.
 *
 * issueAgentCredential (admin) creates `tenants/{t}/agents/{agent_id}` (active) and
 * returns a Firebase custom token for uid = agent_id with the claim
 * `maestro_agent: {tenant_id, strategy_id}`. The agent signs in with it
 * (signInWithCustomToken) and writes signals under firestore.rules, which let it create a
 * signal only for its own strategy, with `created_by` its own id, and only while its
 * credential document is active. An agent is not a member, so every member callable
 * refuses it (permission-denied). revokeAgentCredential (admin) marks the document revoked
 * — the rules read it on every request, so the agent's next write is refused — and revokes
 * the Auth user's refresh tokens. Both record who, when and why in admin_actions.
 * listAgentCredentials (admin) lists the credential documents, newest first; the token is
 * never stored, so it is returned only once, by issueAgentCredential.
 *
 * An agent then works through two callables of its own (agentCallable: its token, its
 * active credential, its own strategy only):
 *  - respondToAgentTask answers a task it was sent on its tenant's topic (seed 001's
 *    RESPONSE_MESSAGE). `agent_name` must be its own strategy and the task must be
 *    addressed to it; the answer is applied to the run in a transaction
 *    (store/agent-runs.ts). A duplicate or late answer succeeds, is recorded, and changes
 *    nothing; the disposition says which.
 *  - agentHeartbeat says it is alive; silence past agents.heartbeat_timeout_seconds marks it
 *    failed in the health check (its entries held, an alert raised).
 *
 * In production the functions' service account needs `iam.serviceAccounts.signBlob` to
 * mint custom tokens (roles/iam.serviceAccountTokenCreator on itself).
 */
import { randomBytes } from "node:crypto";
import { getAuth } from "firebase-admin/auth";
import { HttpsError } from "firebase-functions/v2/https";
import { AGENT_CLAIM, AgentCredentialSchema, StrategySchema, parseWithReason, type AgentCredential } from "../schemas";
import {
  AgentCredentialListItemSchema,
  IssueAgentCredentialRequestSchema,
  IssueAgentCredentialResponseSchema,
  ListAgentCredentialsRequestSchema,
  ListAgentCredentialsResponseSchema,
  RevokeAgentCredentialRequestSchema,
  RevokeAgentCredentialResponseSchema,
  type AgentCredentialListItem,
} from "../schemas/api";
import { plainData } from "../store/firestore";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import {
  AgentHeartbeatRequestSchema,
  AgentHeartbeatResponseSchema,
  MAX_RESPONSE_PAYLOAD_CHARS,
  RespondToAgentTaskRequestSchema,
  RespondToAgentTaskResponseSchema,
  type AgentHeartbeat,
} from "../schemas/agents";
import { AgentRunUnavailable, NotYourTask, applyAgentResponse } from "../store/agent-runs";
import { agentCallable, maestroCallable } from "./callable";

/** `agent_{strategy}_{12 hex}`: names the strategy, unguessable, a valid Auth uid and document id. */
function newAgentId(strategyId: string): string {
  return `agent_${strategyId.slice(0, 80)}_${randomBytes(6).toString("hex")}`;
}

export const issueAgentCredential = maestroCallable(
  { name: "issueAgentCredential", request: IssueAgentCredentialRequestSchema, response: IssueAgentCredentialResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) => {
    const strategy = await db.doc(paths.strategy(tenantId, data.strategy_id)).get();
    if (!strategy.exists) throw new HttpsError("not-found", `strategy_id: no strategy '${data.strategy_id}' in tenant '${tenantId}'`);
    const parsed = parseWithReason(StrategySchema, plainData(strategy.data()));
    if (!parsed.ok) throw new HttpsError("failed-precondition", `strategy '${data.strategy_id}' is malformed (${parsed.reason}); fix the document first`);
    const agentId = newAgentId(data.strategy_id);
    const credential: AgentCredential = {
      tenant_id: tenantId,
      strategy_id: data.strategy_id,
      status: "active",
      issued_by: uid,
      issued_at: now.toISOString(),
      issue_reason: data.reason,
      revoked_by: null,
      revoked_at: null,
      revoke_reason: null,
    };
    // The token first: if minting fails (no signing permission), nothing is recorded.
    const customToken = await getAuth().createCustomToken(agentId, { [AGENT_CLAIM]: { tenant_id: tenantId, strategy_id: data.strategy_id } });
    const batch = db.batch();
    batch.create(db.doc(paths.agent(tenantId, agentId)), credential);
    batch.create(db.collection(paths.adminActions(tenantId)).doc(), {
      action: "issue_agent_credential",
      tenant_id: tenantId,
      actor_uid: uid,
      at: now.toISOString(),
      reason: data.reason,
      target: paths.agent(tenantId, agentId),
      before: null,
      after: { status: "active", strategy_id: data.strategy_id },
    });
    await batch.commit();
    logEvent.adminAction({ tenant_id: tenantId, action: "issue_agent_credential", agent_id: agentId, strategy_id: data.strategy_id, actor_uid: uid });
    return { agent_id: agentId, strategy_id: data.strategy_id, custom_token: customToken, credential };
  },
);

export const revokeAgentCredential = maestroCallable(
  { name: "revokeAgentCredential", request: RevokeAgentCredentialRequestSchema, response: RevokeAgentCredentialResponseSchema, role: "admin", rateLimit: "write_calls" },
  async ({ db, uid, tenantId, data, now }) => {
    const ref = db.doc(paths.agent(tenantId, data.agent_id));
    const actionRef = db.collection(paths.adminActions(tenantId)).doc();
    const credential = await db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) throw new HttpsError("not-found", `agent_id: no agent '${data.agent_id}' in tenant '${tenantId}'`);
      const parsed = parseWithReason(AgentCredentialSchema, plainData(snap.data()));
      if (!parsed.ok) throw new HttpsError("failed-precondition", `agent '${data.agent_id}' is malformed (${parsed.reason})`);
      if (parsed.value.status === "revoked") throw new HttpsError("failed-precondition", `agent '${data.agent_id}' was already revoked at ${parsed.value.revoked_at} by ${parsed.value.revoked_by}`);
      const next: AgentCredential = { ...parsed.value, status: "revoked", revoked_by: uid, revoked_at: now.toISOString(), revoke_reason: data.reason };
      tx.set(ref, next);
      tx.create(actionRef, {
        action: "revoke_agent_credential",
        tenant_id: tenantId,
        actor_uid: uid,
        at: now.toISOString(),
        reason: data.reason,
        target: paths.agent(tenantId, data.agent_id),
        before: { status: "active" },
        after: { status: "revoked" },
      });
      return next;
    });
    // The document already refuses the agent; its refresh tokens go too (the user exists once it has signed in).
    await getAuth()
      .revokeRefreshTokens(data.agent_id)
      .catch((error: { code?: string; message?: string }) => {
        if (error.code !== "auth/user-not-found") logEvent.agentTokensNotRevoked({ tenant_id: tenantId, agent_id: data.agent_id, error: error.message ?? String(error) });
      });
    logEvent.adminAction({ tenant_id: tenantId, action: "revoke_agent_credential", agent_id: data.agent_id, actor_uid: uid });
    return { agent_id: data.agent_id, credential, action_id: actionRef.id };
  },
);

export const listAgentCredentials = maestroCallable(
  { name: "listAgentCredentials", request: ListAgentCredentialsRequestSchema, response: ListAgentCredentialsResponseSchema, role: "admin" },
  async ({ db, tenantId, data }) => {
    const snap = await db.collection(paths.agents(tenantId)).orderBy("issued_at", "desc").limit(data.limit).get();
    const agents: AgentCredentialListItem[] = [];
    const malformed: Record<string, string> = {};
    for (const doc of snap.docs) {
      const parsed = parseWithReason(AgentCredentialListItemSchema, { ...(plainData(doc.data()) as object), agent_id: doc.id });
      if (parsed.ok) agents.push(parsed.value);
      else malformed[doc.id] = parsed.reason;
    }
    return { tenant_id: tenantId, agents, malformed };
  },
);

export const respondToAgentTask = agentCallable(
  { name: "respondToAgentTask", request: RespondToAgentTaskRequestSchema, response: RespondToAgentTaskResponseSchema },
  async ({ db, strategyId, agentId, data, now }) => {
    if (data.agent_name !== strategyId) {
      logEvent.agentRefused({ tenant_id: data.tenant_id, agent_id: agentId, callable: "respondToAgentTask", why: "agent_name" });
      throw new HttpsError("permission-denied", `agent_name: you are the agent of strategy '${strategyId}'; you may not answer as '${data.agent_name}'`);
    }
    const payloadChars = JSON.stringify({ result: data.result, errors: data.errors, next_actions: data.next_actions }).length;
    if (payloadChars > MAX_RESPONSE_PAYLOAD_CHARS) {
      throw new HttpsError(
        "invalid-argument",
        `result, errors, next_actions: must be at most ${MAX_RESPONSE_PAYLOAD_CHARS} characters as JSON together (got ${payloadChars}); keep large output elsewhere and send its reference`,
      );
    }
    try {
      const applied = await applyAgentResponse(db, data, strategyId, now);
      return {
        disposition: applied.disposition,
        task_status: applied.run.tasks[data.task_id]?.status ?? null,
        run_status: applied.run.status,
        dispatched: applied.dispatch.map((m) => ({ task_id: m.task_id, agent_target: m.agent_target, attempt: m.attempt })),
      };
    } catch (error) {
      if (error instanceof NotYourTask) {
        logEvent.agentRefused({ tenant_id: data.tenant_id, agent_id: agentId, callable: "respondToAgentTask", why: error.message });
        throw new HttpsError("permission-denied", error.message);
      }
      if (error instanceof AgentRunUnavailable) throw new HttpsError(error.kind === "not-found" ? "not-found" : "failed-precondition", error.message);
      throw error;
    }
  },
);

export const agentHeartbeat = agentCallable(
  { name: "agentHeartbeat", request: AgentHeartbeatRequestSchema, response: AgentHeartbeatResponseSchema },
  async ({ db, tenantId, strategyId, agentId, config, data, now }) => {
    const heartbeat: AgentHeartbeat = { tenant_id: tenantId, strategy_id: strategyId, agent_id: agentId, at: now.toISOString(), status: data.status, detail: data.detail ?? null };
    await db.doc(paths.agentHeartbeat(tenantId, strategyId)).set(heartbeat);
    return { received_at: heartbeat.at, strategy_id: strategyId, heartbeat_timeout_seconds: config.agents.heartbeat_timeout_seconds };
  },
);
