/**
 * Recorded cycle inputs in Firestore and the replay of stored orchestrations (issue 13).
 *
 *   tenants/{t}/orchestration_inputs/{sha256}           the canonical JSON (or its part 0), create-only
 *   tenants/{t}/orchestration_inputs/{sha256}/parts/{n}  parts 1 … when it exceeds INPUTS_PART_BYTES
 *   tenants/{t}/findings/replay_{sessionId}             one per orchestration whose replay is not identical
 *
 * The cycle writes its inputs in its own batch (create(): content-addressed, and the
 * session id is part of the content, so only a redelivery of the very same cycle could
 * collide, and its batch fails whole anyway on the orchestration's own create()). The
 * replayOrchestration callable and the nightly chain verification replay through here.
 */
import type { DocumentSnapshot, Firestore, WriteBatch } from "firebase-admin/firestore";
import { InputsRefSchema, type InputsRef } from "../schemas";
import { CYCLE_INPUTS_FORMAT, OrchestrationInputsPartSchema, OrchestrationInputsSchema, type CycleInputRecord, type ReplayDifference } from "../schemas/replay";
import { decodeCycleInputs, sha256Hex, splitUtf8, type RecordedInputs } from "../core/cycle-inputs";
import { replayAndCompare } from "../core/replay";
import { seedOf } from "../core/arbitration";
import { seededRandom } from "../core/seeded-random";
import { IoCount, isAlreadyExists, parseDoc, plainData } from "./firestore";
import { paths } from "./paths";
import { logEvent } from "../log-events";

/** Differences kept on a finding and returned by the callable (the count is always whole). */
export const REPLAY_DIFFERENCES_KEPT = 50;
/** Characters of each side's JSON kept on a finding's difference. */
export const REPLAY_VALUE_CHARS = 2_000;
/** Orchestrations the nightly chain verification replays per tenant. */
export const REPLAY_SAMPLE_LIMIT = 20;

/** Adds the recorded inputs to the cycle's batch; returns the reference for the orchestration and the writes added. */
export function writeRecordedInputs(batch: WriteBatch, db: Firestore, tenantId: string, recorded: RecordedInputs, now: Date): { ref: InputsRef; writes: number } {
  const parts = splitUtf8(recorded.text);
  batch.create(db.doc(paths.orchestrationInputs(tenantId, recorded.sha256)), {
    format: CYCLE_INPUTS_FORMAT,
    tenant_id: tenantId,
    session_id: recorded.record.session_id,
    sha256: recorded.sha256,
    bytes: recorded.bytes,
    parts: parts.length,
    text: parts[0],
    recorded_at: now.toISOString(),
  });
  for (let i = 1; i < parts.length; i++) {
    batch.create(db.doc(paths.orchestrationInputsPart(tenantId, recorded.sha256, i)), { sha256: recorded.sha256, part: i, text: parts[i] });
  }
  return { ref: { sha256: recorded.sha256, bytes: recorded.bytes, parts: parts.length }, writes: parts.length };
}

export type InputsRead =
  | { ok: true; record: CycleInputRecord }
  /** unverifiable: missing, malformed or not what the reference hashes to (a finding); undecodable: verified, but the current schema cannot read it. */
  | { ok: false; kind: "unverifiable" | "undecodable"; reason: string };

/** The recorded inputs a reference names, verified against its sha256 and size, decoded. */
export async function readRecordedInputs(db: Firestore, tenantId: string, ref: InputsRef, io: IoCount): Promise<InputsRead> {
  const where = `orchestration_inputs/${ref.sha256}`;
  const snap = await db.doc(paths.orchestrationInputs(tenantId, ref.sha256)).get();
  io.read(snap);
  if (!snap.exists) return { ok: false, kind: "unverifiable", reason: `${where} does not exist` };
  const head = parseDoc(OrchestrationInputsSchema, snap);
  if (!head.ok) return { ok: false, kind: "unverifiable", reason: `${where} is malformed: ${head.reason}` };
  if (head.value.parts !== ref.parts) return { ok: false, kind: "unverifiable", reason: `${where} says ${head.value.parts} parts; the orchestration recorded ${ref.parts}` };
  const texts = [head.value.text];
  if (ref.parts > 1) {
    const partSnaps = await db.getAll(...Array.from({ length: ref.parts - 1 }, (_, i) => db.doc(paths.orchestrationInputsPart(tenantId, ref.sha256, i + 1))));
    io.read(partSnaps);
    for (const [i, partSnap] of partSnaps.entries()) {
      const part = parseDoc(OrchestrationInputsPartSchema, partSnap);
      if (!partSnap.exists || !part.ok) return { ok: false, kind: "unverifiable", reason: `${where}/parts/${i + 1} is ${partSnap.exists ? "malformed" : "missing"}` };
      texts.push(part.value.text);
    }
  }
  const text = texts.join("");
  const sha256 = sha256Hex(text);
  const bytes = Buffer.byteLength(text, "utf8");
  if (sha256 !== ref.sha256 || bytes !== ref.bytes) {
    return { ok: false, kind: "unverifiable", reason: `${where} holds ${bytes} bytes hashing to ${sha256}, not the ${ref.bytes} bytes the orchestration recorded (edited after it was written)` };
  }
  const decoded = decodeCycleInputs(text);
  if (!decoded.ok) return { ok: false, kind: "undecodable", reason: `${where} verifies but no longer decodes as cycle inputs: ${decoded.reason}` };
  return { ok: true, record: decoded.record };
}

export interface ReplayOutcome {
  session_id: string;
  /** False: no recorded inputs, or none that can be verified and decoded (see reason). */
  replayable: boolean;
  identical: boolean;
  reason?: string;
  /** At most REPLAY_DIFFERENCES_KEPT; difference_count has them all. */
  differences: ReplayDifference[];
  difference_count: number;
  inputs_sha256: string | null;
  compared_fields: number;
  /** The finding this replay wrote or found already written; null when there is nothing to find. */
  finding_id: string | null;
  finding_created: boolean;
  status: "identical" | "different" | "no_inputs" | "undecodable" | "inputs_unverifiable" | "failed";
}

export function replayFindingId(sessionId: string): string {
  return `replay_${sessionId}`;
}

function clipped(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > REPLAY_VALUE_CHARS ? `${text.slice(0, REPLAY_VALUE_CHARS)}… (${text.length} characters)` : text;
}

/** Creates the orchestration's replay finding once; a later replay finds it and leaves it as it is. */
async function recordReplayFinding(
  db: Firestore,
  tenantId: string,
  sessionId: string,
  fields: { kind: "replay_difference" | "replay_inputs_unverifiable" | "replay_failed"; inputs_sha256: string | null; detail: string; differences: ReplayDifference[]; difference_count: number; detected_by: string; detected_at: string },
): Promise<boolean> {
  try {
    await db.doc(paths.finding(tenantId, replayFindingId(sessionId))).create({
      tenant_id: tenantId,
      session_id: sessionId,
      ...fields,
      // Values as JSON text: a difference's value may be an array, which Firestore cannot nest in an array.
      differences: fields.differences.slice(0, REPLAY_DIFFERENCES_KEPT).map((d) => ({ path: d.path, kind: d.kind, stored_json: clipped(d.stored), replayed_json: clipped(d.replayed) })),
    });
    logEvent.replayDifference({ tenant_id: tenantId, session_id: sessionId, kind: fields.kind, detail: fields.detail, difference_count: fields.difference_count, detected_by: fields.detected_by });
    return true;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    return false;
  }
}

/** Replays one stored orchestration from its recorded inputs; a difference (or inputs that do not verify) is a finding, once. */
export async function replayStoredOrchestration(db: Firestore, tenantId: string, snap: DocumentSnapshot, detectedBy: string, now: Date, io: IoCount): Promise<ReplayOutcome> {
  const sessionId = snap.id;
  const stored = plainData(snap.data()) as Record<string, unknown>;
  const base = { session_id: sessionId, differences: [] as ReplayDifference[], difference_count: 0, compared_fields: 0, finding_id: null, finding_created: false };
  const finding = async (kind: "replay_difference" | "replay_inputs_unverifiable" | "replay_failed", sha: string | null, detail: string, differences: ReplayDifference[] = []) => {
    const created = await recordReplayFinding(db, tenantId, sessionId, { kind, inputs_sha256: sha, detail, differences, difference_count: differences.length, detected_by: detectedBy, detected_at: now.toISOString() });
    return { finding_id: replayFindingId(sessionId), finding_created: created };
  };
  if (stored.inputs_ref === undefined) {
    return { ...base, replayable: false, identical: false, inputs_sha256: null, status: "no_inputs", reason: `orchestration ${sessionId} has no recorded inputs (written before replay existed)` };
  }
  const ref = InputsRefSchema.safeParse(stored.inputs_ref);
  if (!ref.success) {
    const reason = `orchestration ${sessionId}: inputs_ref is malformed`;
    return { ...base, ...(await finding("replay_inputs_unverifiable", null, reason)), replayable: false, identical: false, inputs_sha256: null, status: "inputs_unverifiable", reason };
  }
  const sha = ref.data.sha256;
  const read = await readRecordedInputs(db, tenantId, ref.data, io);
  if (!read.ok) {
    if (read.kind === "undecodable") return { ...base, replayable: false, identical: false, inputs_sha256: sha, status: "undecodable", reason: read.reason };
    return { ...base, ...(await finding("replay_inputs_unverifiable", sha, read.reason)), replayable: false, identical: false, inputs_sha256: sha, status: "inputs_unverifiable", reason: read.reason };
  }
  if (read.record.tenant_id !== tenantId || read.record.session_id !== sessionId) {
    const reason = `orchestration_inputs/${sha} are the inputs of ${read.record.tenant_id}/${read.record.session_id}, not of this orchestration`;
    return { ...base, ...(await finding("replay_inputs_unverifiable", sha, reason)), replayable: false, identical: false, inputs_sha256: sha, status: "inputs_unverifiable", reason };
  }
  let comparison;
  try {
    comparison = replayAndCompare(read.record, stored);
  } catch (error) {
    const reason = `the core failed on the recorded inputs: ${error instanceof Error ? error.message : String(error)}`;
    return { ...base, ...(await finding("replay_failed", sha, reason)), replayable: false, identical: false, inputs_sha256: sha, status: "failed", reason };
  }
  const outcome: ReplayOutcome = {
    ...base,
    replayable: true,
    identical: comparison.identical,
    differences: comparison.differences.slice(0, REPLAY_DIFFERENCES_KEPT),
    difference_count: comparison.differences.length,
    compared_fields: comparison.compared_fields,
    inputs_sha256: sha,
    status: comparison.identical ? "identical" : "different",
  };
  if (!comparison.identical) {
    const paths_ = comparison.differences.slice(0, 5).map((d) => d.path).join(", ");
    Object.assign(outcome, await finding("replay_difference", sha, `replaying the recorded inputs decides differently in ${comparison.differences.length} field(s): ${paths_}${comparison.differences.length > 5 ? ", …" : ""}`, comparison.differences));
  }
  logEvent.orchestrationReplayed({ tenant_id: tenantId, session_id: sessionId, status: outcome.status, compared_fields: outcome.compared_fields, difference_count: outcome.difference_count, detected_by: detectedBy });
  return outcome;
}

export interface ReplaySample {
  since: string | null;
  until: string;
  sampled: number;
  replayed: number;
  identical: number;
  different: number;
  not_replayable: number;
  inputs_unverifiable: number;
  differences: number;
  session_ids: string[];
}

/**
 * Replays up to `limit` of the tenant's orchestrations with since < timestamp ≤ until. When
 * the window holds no more than that, all of them; otherwise a seeded sample: `limit`
 * instants drawn uniformly in the window (mulberry32 seeded from the tenant and `until`,
 * so a rerun of the same night picks the same ones, and a later night different ones),
 * each taking the first orchestration at or after it. Reads: at most limit + 1 ids, then
 * one document per pick, plus each pick's inputs.
 */
export async function replaySample(
  db: Firestore,
  tenantId: string,
  options: { since: string | null; until: string; now: Date; limit?: number; detectedBy?: string },
  io: IoCount,
): Promise<ReplaySample> {
  const limit = options.limit ?? REPLAY_SAMPLE_LIMIT;
  let window = db.collection(paths.orchestrations(tenantId)).where("timestamp", "<=", options.until);
  if (options.since !== null) window = window.where("timestamp", ">", options.since);
  const ids = await window.orderBy("timestamp").select("timestamp").limit(limit + 1).get();
  io.read(ids);
  let picks: DocumentSnapshot[];
  if (ids.size <= limit) {
    picks = ids.empty ? [] : await db.getAll(...ids.docs.map((d) => d.ref));
    io.read(picks);
  } else {
    const random = seededRandom(seedOf(`${tenantId}|${options.until}`));
    const from = options.since !== null ? Date.parse(options.since) : Date.parse(String(ids.docs[0].get("timestamp")));
    const to = Date.parse(options.until);
    const chosen = new Map<string, DocumentSnapshot>();
    for (let i = 0; i < limit; i++) {
      const at = new Date(from + random() * (to - from)).toISOString();
      const snap = await window.where("timestamp", ">=", at).orderBy("timestamp").limit(1).get();
      io.read(snap);
      if (!snap.empty && !chosen.has(snap.docs[0].id)) chosen.set(snap.docs[0].id, snap.docs[0]);
    }
    picks = [...chosen.values()];
  }
  const sample: ReplaySample = {
    since: options.since,
    until: options.until,
    sampled: ids.size,
    replayed: 0,
    identical: 0,
    different: 0,
    not_replayable: 0,
    inputs_unverifiable: 0,
    differences: 0,
    session_ids: [],
  };
  for (const snap of picks) {
    if (!snap.exists) continue;
    const outcome = await replayStoredOrchestration(db, tenantId, snap, options.detectedBy ?? "chain_verification", options.now, io);
    sample.session_ids.push(snap.id);
    if (outcome.replayable) sample.replayed += 1;
    if (outcome.status === "identical") sample.identical += 1;
    else if (outcome.status === "different") sample.different += 1;
    else if (outcome.status === "inputs_unverifiable") sample.inputs_unverifiable += 1;
    else sample.not_replayable += 1;
    sample.differences += outcome.difference_count;
  }
  return sample;
}
