/**
 * askMaestro (issue 13, seed 002): one conversation that routes each question to a
 * specialist and keeps its context.
 *
 *   message ─► router (core/intent-router.ts: deterministic, timed, logged) ─► specialist
 *   specialist ─► the client API's read callables through the front door (handleCall: the
 *                 caller's membership and role apply, as from any client) ─► its readings
 *   readings ─► Gemini by function calling (it may ask for more reads, through the same
 *               door) when a key is configured; the written template otherwise or on failure
 *   every answer ends with the sources it used; the turn, the entities in play and any
 *   proposed action are kept in tenants/{t}/conversations/{id}, which belongs to its user.
 *
 * An action (pause, resume, emergency stop, rebalance, …) is proposed, not done: the next
 * turn's "yes" runs the admin callable through the front door (its own role and rate
 * limit apply), "no" cancels, anything else drops it, and it expires after 5 minutes.
 *
 * The callables' definitions are handed in by index.ts (askMaestroFunction(frontDoor)),
 * so this stage imports no other stage.
 */
import { randomBytes } from "node:crypto";
import type { DocumentSnapshot, Firestore } from "firebase-admin/firestore";
import { HttpsError } from "firebase-functions/v2/https";
import type { z } from "zod";
import {
  NO_ENTITIES,
  asOf,
  confirmationOf,
  mergeEntities,
  pendingAction,
  planAction,
  sourcesLine,
  writtenAnswer,
  DEFAULT_PERIOD_DAYS,
  HELP_ANSWER,
  type ActionCallable,
  type ReadCallable,
  type Readings,
} from "../core/ask";
import { roleAllows } from "../core/access";
import { routeMessage, type Intent } from "../core/intent-router";
import { venueDayOf } from "../core/market-hours";
import { CONVERSATION_TURNS_KEPT, ConversationSchema, type Conversation, type ConversationEntities, type PendingAction } from "../schemas";
import { AskMaestroRequestSchema, AskMaestroResponseSchema, type AskMaestroRequest, type AskMaestroResponse, type AskSource } from "../schemas/api";
import { loadMaestroConfig } from "../store/config";
import { IoCount, parseDoc, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { readStrategies } from "../store/weights";
import { answerWithModel, READ_TOOLS, toolFor, type AskModelRequest, type AskModelResult } from "../summary/gemini-ask";
import { geminiApiKey, geminiBaseUrl } from "../params";
import { logEvent } from "../log-events";
import { handleCall, maestroCallable, type CallContext, type CallableDefinition, type CallableSpec } from "./callable";

/** The callables ask-Maestro may call, by name (their definitions, from index.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FrontDoor = Record<ReadCallable | ActionCallable, CallableDefinition<any, any>>;

/** Writes an answer with the model; the stage passes the real Gemini client, tests a loopback one. */
export type AskModel = (req: Omit<AskModelRequest, "apiKey" | "baseUrl">) => Promise<AskModelResult>;

export function geminiAskModel(apiKey: () => string | undefined, baseUrl: () => string | undefined): AskModel {
  return (req) => answerWithModel({ ...req, apiKey: apiKey(), baseUrl: baseUrl() });
}

/** One call through the front door as the caller: sign-in, payload, membership, role and rate limit all apply. */
async function callAs(frontDoor: FrontDoor, name: ReadCallable | ActionCallable, ctx: CallContext<AskMaestroRequest>, args: Record<string, unknown>): Promise<unknown> {
  const definition = frontDoor[name];
  return handleCall(definition.spec, definition.handler, ctx.db, { auth: { uid: ctx.uid }, data: { ...args, tenant_id: ctx.tenantId } }, ctx.now);
}

function refusal(error: unknown): string {
  if (error instanceof HttpsError) return `${error.code}: ${error.message}`;
  throw error;
}

interface SpecialistResult {
  readings: Readings;
  sources: AskSource[];
  /** Reads the front door refused (not found, malformed, role), in words. */
  problems: string[];
}

/** The reads a specialist makes (core/ask.ts lists them), through the front door. */
async function consultSpecialist(
  frontDoor: FrontDoor,
  ctx: CallContext<AskMaestroRequest>,
  intent: Intent,
  entities: ConversationEntities,
  strategyId: string | null,
  message: string,
): Promise<SpecialistResult> {
  const result: SpecialistResult = { readings: {}, sources: [], problems: [] };
  const read = async (callable: ReadCallable, args: Record<string, unknown>) => {
    try {
      const response = await callAs(frontDoor, callable, ctx, args);
      (result.readings as Record<string, unknown>)[callable] = response;
      result.sources.push({ callable, args, as_of: asOf(callable, response) });
      return response;
    } catch (error) {
      result.problems.push(`${callable}: ${refusal(error)}`);
      return null;
    }
  };
  const lower = message.toLowerCase();
  switch (intent) {
    case "allocations":
      await Promise.all([read("getStrategyWeights", {}), /\bhistory|rebalanc\w*|changed\b/.test(lower) ? read("listAllocationHistory", { limit: 5 }) : null]);
      break;
    case "performance":
      await read("getStrategyPerformance", { period_days: Math.min(365, entities.period_days ?? DEFAULT_PERIOD_DAYS), ...(strategyId ? { strategy_id: strategyId } : {}) });
      break;
    case "risk_session":
      await read("getDeskStatus", {});
      break;
    case "logs_audits":
      await Promise.all([read("listOrchestrationLogs", { page_size: 5, systemic_only: /\bsystemic\b/.test(lower) }), read("getDeskStatus", {})]);
      break;
    case "configuration":
      await read("getMaestroConfig", {});
      break;
    case "explain_decision": {
      // The named session, else the newest cycle (its orchestration, written before its log is).
      const [, status] = await Promise.all([read("getStrategyWeights", {}), entities.session_id ? null : read("getDeskStatus", {})]);
      const sessionId = entities.session_id ?? (status as Readings["getDeskStatus"] | null)?.last_orchestration?.session_id ?? null;
      if (sessionId) await read("getOrchestration", { session_id: sessionId });
      break;
    }
    case "action":
    case "help":
      break;
  }
  return result;
}

function newConversationId(): string {
  return `c_${Date.now().toString(36)}_${randomBytes(6).toString("hex")}`;
}

async function readConversation(db: Firestore, tenantId: string, uid: string, id: string | undefined): Promise<{ id: string; snap: DocumentSnapshot | null; conversation: Conversation | null }> {
  if (id === undefined) return { id: newConversationId(), snap: null, conversation: null };
  const snap = await db.doc(paths.conversation(tenantId, id)).get();
  if (!snap.exists) throw new HttpsError("not-found", `conversation_id: no conversation '${id}' in tenant '${tenantId}'; leave it out to start one`);
  // Ownership before anything else: another user's conversation is not read further.
  if (snap.get("uid") !== uid) throw new HttpsError("permission-denied", `conversation_id: conversation '${id}' belongs to another user`);
  const parsed = parseDoc(ConversationSchema, snap);
  if (!parsed.ok) throw new HttpsError("failed-precondition", `conversation '${id}' is malformed (${parsed.reason}); start a new one`);
  return { id, snap, conversation: parsed.value };
}

/** Runs a confirmed action through the front door, as the caller. */
async function runPendingAction(frontDoor: FrontDoor, ctx: CallContext<AskMaestroRequest>, pending: PendingAction): Promise<NonNullable<AskMaestroResponse["action_result"]>> {
  const callable = pending.callable as ActionCallable;
  try {
    const response = (await callAs(frontDoor, callable, ctx, pending.args)) as Record<string, unknown>;
    const state = (response.state ?? (response.session as { state?: string } | undefined)?.state) as string | undefined;
    return { callable, status: "done", detail: `Done: ${pending.description}${state ? `; the session is now ${state}` : ""}.` };
  } catch (error) {
    return { callable, status: "refused", detail: `Not done: ${refusal(error)}` };
  }
}

export function askMaestroHandler(frontDoor: FrontDoor, model: AskModel) {
  return async (ctx: CallContext<AskMaestroRequest>): Promise<z.infer<typeof AskMaestroResponseSchema>> => {
    const { db, tenantId, uid, data, now } = ctx;
    const io = new IoCount();
    const [{ id, snap, conversation }, { config }, strategyRead] = await Promise.all([
      readConversation(db, tenantId, uid, data.conversation_id),
      loadMaestroConfig(db, tenantId, io),
      readStrategies(db, tenantId, io),
    ]);
    const idByName: Record<string, string> = Object.fromEntries(Object.entries(strategyRead.strategies).map(([sid, s]) => [s.name, sid]));
    const previousEntities = conversation?.entities ?? NO_ENTITIES;
    const pending = conversation?.pending_action ?? null;
    const message = data.message;

    let intent: Intent;
    let because: string;
    let selectionMs: number;
    let entities: ConversationEntities;
    let answer: string;
    let answerSource: "gemini" | "template" = "template";
    let fallbackReason: string | null = null;
    let sources: AskSource[] = [];
    let nextPending: PendingAction | null = null;
    let actionResult: AskMaestroResponse["action_result"] = null;
    let failedReads = 0;

    const started = performance.now();
    const reply = pending ? confirmationOf(message) : null;
    if (pending && reply !== null) {
      selectionMs = performance.now() - started;
      intent = "action";
      because = `a ${reply === "yes" ? "confirmation" : "refusal"} of the proposed ${pending.callable}`;
      entities = previousEntities;
      if (now.toISOString() > pending.expires_at) actionResult = { callable: pending.callable, status: "expired", detail: `The proposal to ${pending.description} expired at ${pending.expires_at}; ask again.` };
      else if (reply === "no") actionResult = { callable: pending.callable, status: "cancelled", detail: `Cancelled: nothing was changed.` };
      else actionResult = await runPendingAction(frontDoor, ctx, pending);
      answer = actionResult.detail;
      sources = [{ callable: pending.callable, args: pending.args, as_of: null }];
    } else {
      const route = routeMessage(message, Object.keys(idByName), venueDayOf(now, config.market_hours.time_zone));
      selectionMs = performance.now() - started;
      intent = route.intent;
      because = route.because;
      entities = mergeEntities(previousEntities, route.entities, message);
      const strategyId = entities.strategy !== null ? (idByName[entities.strategy] ?? null) : null;

      if (intent === "action") {
        let sessionState: string | null = null;
        try {
          const status = (await callAs(frontDoor, "getDeskStatus", ctx, {})) as { session: { state: string } | null; day: string };
          sessionState = status.session?.state ?? null;
          sources.push({ callable: "getDeskStatus", args: {}, as_of: status.day });
        } catch (error) {
          // Only "resume" needs the state (which resume callable); unread, it proposes
          // resumeTradingSession, and the front door's refusal on "yes" is reported then.
          // refusal() rethrows anything that is not a front-door refusal.
          refusal(error);
        }
        const plan = planAction(message, entities, idByName, sessionState);
        if ("unsupported" in plan) answer = plan.unsupported;
        else {
          const needed = frontDoor[plan.callable].spec.role;
          if (!roleAllows(ctx.role, needed)) {
            answer = `${plan.callable} (to ${plan.description}) needs the ${needed} role; you are a ${ctx.role} of tenant '${tenantId}'. Ask an ${needed} to do it.`;
          } else {
            nextPending = pendingAction(plan, needed, now);
            answer = `I can ${plan.description} (${plan.callable}, reason: ${String(plan.args.reason)}). Reply "yes" to confirm or "no" to cancel, by ${nextPending.expires_at}.`;
          }
        }
      } else if (intent === "help") {
        answer = HELP_ANSWER;
      } else {
        const consulted = await consultSpecialist(frontDoor, ctx, intent, entities, strategyId, message);
        sources = consulted.sources;
        failedReads = consulted.problems.length;
        const template = [writtenAnswer(intent, consulted.readings, entities, idByName, message), ...consulted.problems.map((p) => `(Could not read ${p})`)].join("\n");
        answer = template;
        const modelAnswer = await model({
          enabled: config.ai_summary.enabled,
          model: config.ai_summary.model,
          timeoutMs: config.ai_summary.timeout_ms,
          question: message,
          history: (conversation?.turns ?? []).slice(-4).map((t) => ({ message: t.message, answer: t.answer })),
          initialCalls: consulted.sources.map((s) => ({ name: toolFor(s.callable)!, args: s.args, response: consulted.readings[s.callable as ReadCallable] })),
          execute: async (tool, args) => {
            const callable = READ_TOOLS[tool].callable as ReadCallable;
            const response = await callAs(frontDoor, callable, ctx, args);
            sources.push({ callable, args, as_of: asOf(callable, response) });
            return response;
          },
        });
        if (modelAnswer.ok) {
          answer = modelAnswer.text;
          answerSource = "gemini";
        } else if (modelAnswer.reason !== "no_api_key" && modelAnswer.reason !== "disabled") {
          fallbackReason = modelAnswer.reason;
        }
      }
    }
    logEvent.askRouted({ tenant_id: tenantId, conversation_id: id, uid, intent, because, selection_ms: Number(selectionMs.toFixed(3)) });
    answer = `${answer}\n${sourcesLine(sources, failedReads)}`;

    const turn = { at: now.toISOString(), message, intent, selection_ms: selectionMs, answer, answer_source: answerSource, sources: sources.map((s) => s.callable) };
    const next: Conversation = {
      tenant_id: tenantId,
      uid,
      created_at: conversation?.created_at ?? now.toISOString(),
      updated_at: now.toISOString(),
      turns: [...(conversation?.turns ?? []), turn].slice(-CONVERSATION_TURNS_KEPT),
      turn_count: (conversation?.turn_count ?? 0) + 1,
      entities,
      pending_action: nextPending,
    };
    const ref = db.doc(paths.conversation(tenantId, id));
    try {
      // A new conversation is created once; an existing one only if no other turn landed since it was read.
      if (snap) await ref.update(storable(next), { lastUpdateTime: snap.updateTime! });
      else await ref.create(storable(next));
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 9 || code === 6) throw new HttpsError("failed-precondition", `conversation_id: conversation '${id}' took another turn meanwhile; send the message again`);
      throw error;
    }
    logEvent.askAnswered({ tenant_id: tenantId, conversation_id: id, intent, answer_source: answerSource, fallback_reason: fallbackReason, sources: turn.sources, action: actionResult?.status ?? (nextPending ? "proposed" : null) });
    return {
      conversation_id: id,
      intent,
      because,
      selection_ms: selectionMs,
      answer,
      answer_source: answerSource,
      fallback_reason: fallbackReason,
      sources,
      entities,
      pending_action: nextPending,
      action_result: actionResult,
    };
  };
}

export const ASK_SPEC: CallableSpec<typeof AskMaestroRequestSchema, typeof AskMaestroResponseSchema> = {
  name: "askMaestro",
  request: AskMaestroRequestSchema,
  response: AskMaestroResponseSchema,
  role: "viewer",
  rateLimit: "ask",
  secrets: [geminiApiKey],
};

/** The deployed callable, given the callables it may call (index.ts). */
export function askMaestroFunction(frontDoor: FrontDoor) {
  return maestroCallable(ASK_SPEC, askMaestroHandler(frontDoor, geminiAskModel(() => geminiApiKey.value(), () => geminiBaseUrl.value())));
}
