/**
 * Admin callables of the client API: setStrategyMode and updateMaestroConfig. Each runs
 * in one transaction that makes the change and records it in `tenants/{t}/admin_actions`
 * with who, when, why, and the values before and after. Weights computed before the
 * change are stale from then on (weightsAreCurrent compares config and strategies), so
 * the next cycle recomputes them.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { KNOWN_STRATEGIES_SHOWN, applyConfigChanges, unknownWorkflowAgents, workflowAgentReferences } from "../core/config-change";
import { StrategySchema, parseWithReason } from "../schemas";
import {
  SetStrategyModeRequestSchema,
  SetStrategyModeResponseSchema,
  UpdateMaestroConfigRequestSchema,
  UpdateMaestroConfigResponseSchema,
} from "../schemas/api";
import { configInForce } from "../store/config";
import { plainData, storable } from "../store/firestore";
import { paths } from "../store/paths";
import { logEvent } from "../log-events";
import { maestroCallable, platformRateCeilings } from "./callable";

export const setStrategyMode = maestroCallable(
  {
    name: "setStrategyMode",
    request: SetStrategyModeRequestSchema,
    response: SetStrategyModeResponseSchema,
    role: "admin",
    rateLimit: "write_calls",
  },
  async ({ db, uid, tenantId, data, now }) => {
    const strategyRef = db.doc(paths.strategy(tenantId, data.strategy_id));
    const actionRef = db.collection(paths.adminActions(tenantId)).doc();
    const result = await db.runTransaction(async (tx) => {
      const snap = await tx.get(strategyRef);
      if (!snap.exists) throw new HttpsError("not-found", `strategy_id: no strategy '${data.strategy_id}' in tenant '${tenantId}'`);
      const parsed = parseWithReason(StrategySchema, plainData(snap.data()));
      if (!parsed.ok) {
        throw new HttpsError("failed-precondition", `strategy '${data.strategy_id}' is malformed (${parsed.reason}); fix the document first`);
      }
      const previous = parsed.value.manual_mode;
      const next: "DISABLED" | null = data.mode === "DISABLED" ? "DISABLED" : null;
      const changed = previous !== next;
      tx.update(strategyRef, {
        manual_mode: next,
        manual_mode_reason: next === null ? null : data.reason,
        manual_mode_set_by: uid,
        manual_mode_set_at: now.toISOString(),
      });
      tx.create(actionRef, {
        action: "set_strategy_mode",
        tenant_id: tenantId,
        actor_uid: uid,
        at: now.toISOString(),
        reason: data.reason,
        target: paths.strategy(tenantId, data.strategy_id),
        before: { manual_mode: previous },
        after: { manual_mode: next },
        changed,
      });
      return { previous, next, changed };
    });
    logEvent.adminAction({ tenant_id: tenantId, action: "set_strategy_mode", strategy_id: data.strategy_id, actor_uid: uid, changed: result.changed });
    return {
      strategy_id: data.strategy_id,
      manual_mode: result.next,
      previous_manual_mode: result.previous,
      changed: result.changed,
      action_id: actionRef.id,
    };
  },
);

export const updateMaestroConfig = maestroCallable(
  {
    name: "updateMaestroConfig",
    request: UpdateMaestroConfigRequestSchema,
    response: UpdateMaestroConfigResponseSchema,
    role: "admin",
    rateLimit: "write_calls",
  },
  async ({ db, uid, tenantId, data, now }) => {
    const configRef = db.doc(paths.config(tenantId));
    const lastValidRef = db.doc(paths.lastValidConfig(tenantId));
    const actionRef = db.collection(paths.adminActions(tenantId)).doc();
    const result = await db.runTransaction(async (tx) => {
      const [snap, lastValidSnap] = await Promise.all([tx.get(configRef), tx.get(lastValidRef)]);
      const version = typeof snap.get("version") === "number" ? (snap.get("version") as number) : 0;
      if (data.expected_version !== undefined && data.expected_version !== version) {
        throw new HttpsError(
          "failed-precondition",
          `expected_version: the config is at version ${version}, not ${data.expected_version}; reload it and apply the change again`,
        );
      }
      // The change applies to the config in force, whatever state the stored document is in.
      const current = configInForce(snap, lastValidSnap).config;
      // The platform's ceilings (deploy params) bound what a tenant may allow its users.
      const applied = applyConfigChanges(current, data.changes, platformRateCeilings());
      if (!applied.ok) throw new HttpsError("invalid-argument", `changes: ${applied.reason}`);
      // Each workflow task's agent is a strategy of the tenant: read just the ones named,
      // in this transaction, so a strategy deleted meanwhile retries the check.
      const references = workflowAgentReferences(applied.config);
      if (references.length > 0) {
        const ids = [...new Set(references.map((r) => r.strategy_id))];
        const strategies = await tx.getAll(...ids.map((id) => db.doc(paths.strategy(tenantId, id))));
        const existing = new Set(strategies.filter((s) => s.exists).map((s) => s.id));
        if (existing.size < ids.length) {
          // Only to say what the tenant does have: ids, and one more than shown to know there are more.
          const some = await tx.get(db.collection(paths.strategies(tenantId)).select().limit(KNOWN_STRATEGIES_SHOWN + 1));
          const reason = unknownWorkflowAgents(references, existing, tenantId, some.docs.map((d) => d.id));
          if (reason) throw new HttpsError("invalid-argument", `changes: ${reason}`);
        }
      }
      const nextVersion = applied.changed_fields.length > 0 ? version + 1 : version;
      if (nextVersion !== version) {
        tx.set(db.doc(paths.configHistory(tenantId, version)), {
          version,
          config: storable(current),
          stored: snap.exists ? storable(plainData(snap.data())) : null,
          superseded_at: now.toISOString(),
          superseded_by: uid,
          superseding_reason: data.reason,
        });
        tx.set(configRef, {
          ...storable(applied.config),
          version: nextVersion,
          updated_by: uid,
          updated_at: now.toISOString(),
          update_reason: data.reason,
          validation: { status: "accepted", reason: null, checked_at: now.toISOString() },
        });
        tx.set(lastValidRef, storable(applied.config));
      }
      tx.create(actionRef, {
        action: "update_maestro_config",
        tenant_id: tenantId,
        actor_uid: uid,
        at: now.toISOString(),
        reason: data.reason,
        target: paths.config(tenantId),
        before: { version, config: storable(current) },
        after: { version: nextVersion, config: storable(applied.config) },
        changed_fields: applied.changed_fields,
      });
      return { version, nextVersion, config: applied.config, changed_fields: applied.changed_fields };
    });
    logEvent.adminAction({ tenant_id: tenantId, action: "update_maestro_config", actor_uid: uid, changed_fields: result.changed_fields, version: result.nextVersion });
    return {
      version: result.nextVersion,
      previous_version: result.version,
      config: result.config,
      changed_fields: result.changed_fields,
      action_id: actionRef.id,
    };
  },
);
