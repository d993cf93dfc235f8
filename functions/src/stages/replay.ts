/**
 * replayOrchestration (issue 13): any member of the tenant (viewer and up: it reads and
 * decides nothing new) asks whether a stored orchestration is what its recorded inputs
 * decide. The pure core runs again on the inputs (store/replay.ts → core/replay.ts) and
 * every decided field is compared with the stored one; a difference, or inputs that do not
 * hash to what the orchestration recorded, is a finding (tenants/{t}/findings/replay_{session},
 * once). An orchestration written before inputs were recorded answers replayable: false
 * with the reason. Rate-limited in the verify_chain bucket with verifyLogChain: both
 * re-derive what was stored, at a cost in reads and CPU a client should not spend in a loop.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { ReplayOrchestrationRequestSchema, ReplayOrchestrationResponseSchema } from "../schemas/api";
import { IoCount } from "../store/firestore";
import { paths } from "../store/paths";
import { replayStoredOrchestration } from "../store/replay";
import { maestroCallable } from "./callable";

export const replayOrchestration = maestroCallable(
  {
    name: "replayOrchestration",
    request: ReplayOrchestrationRequestSchema,
    response: ReplayOrchestrationResponseSchema,
    role: "viewer",
    rateLimit: "verify_chain",
    timeoutSeconds: 60,
    memory: "512MiB",
  },
  async ({ db, tenantId, data, now }) => {
    const io = new IoCount();
    const snap = await db.doc(paths.orchestration(tenantId, data.session_id)).get();
    io.read(snap);
    if (!snap.exists) throw new HttpsError("not-found", `session_id: no orchestration '${data.session_id}' in tenant '${tenantId}'`);
    const outcome = await replayStoredOrchestration(db, tenantId, snap, "replayOrchestration", now, io);
    return {
      session_id: outcome.session_id,
      replayable: outcome.replayable,
      identical: outcome.identical,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      differences: outcome.differences,
      difference_count: outcome.difference_count,
      inputs_sha256: outcome.inputs_sha256,
      compared_fields: outcome.compared_fields,
      finding_id: outcome.finding_id,
    };
  },
);
