/**
 * Replay (issue 13) on the emulators: a cycle records the inputs its decision used
 * (tenants/{t}/orchestration_inputs/{sha256}, named by the orchestration's inputs_ref);
 * replayOrchestration runs the core again on them through the Functions emulator and finds
 * the stored decision identical — with the arbitration step's learned state and seeded
 * draws — and names the field an edit changed, writing one finding however often it is
 * asked. The nightly chain verification replays what was written since its last run.
 */
import { createHash } from "node:crypto";
import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { orchestrateTenant } from "../../src/stages/orchestration";
import { chainVerificationJob } from "../../src/stages/monitoring";
import { seedOf } from "../../src/core/arbitration";
import { paths } from "../../src/store/paths";
import { adminDb, ampleAccountSnapshot, callCallable, memberOf, openAllDay, uniqueTenantId, waitFor } from "../support/emulator";

const db: Firestore = adminDb();
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const ARBITRATION_STEPS = ["weights", "systemic_override", "arbitration", "buying_power"];
/** A learned bandit, version 5: the replay must draw from this state, not the priors. */
const LEARNED = {
  version: 5,
  factors: {
    regime_alignment: { alpha: 3, beta: 1 },
    expectancy: { alpha: 1, beta: 4 },
    signal_strength: { alpha: 6, beta: 2 },
    capital_efficiency: { alpha: 2, beta: 2 },
    correlation_contribution: { alpha: 1, beta: 1 },
  },
};

async function seedTenant(label: string): Promise<string> {
  const tenantId = uniqueTenantId(label);
  const batch = db.batch();
  batch.set(db.doc(paths.tenant(tenantId)), { name: `Replay ${label}`, active: true });
  // Replays are rate-limited with verifyLogChain (6 a minute by default): this file asks more often.
  batch.set(db.doc(paths.config(tenantId)), openAllDay({ cycle_steps: ARBITRATION_STEPS, rate_limits: { verify_chain: 30 } }));
  for (const s of ["a", "b", "c"]) batch.set(db.doc(paths.strategy(tenantId, s)), { name: s.toUpperCase(), enabled: true, capital_base: 100_000, manual_mode: null });
  batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
  batch.set(db.doc(paths.arbitrationState(tenantId)), { tenant_id: tenantId, ...LEARNED, updated_at: new Date().toISOString() });
  await batch.commit();
  return tenantId;
}

/** n signals: the first two contest SPY (a and b), the rest spread over other tickers and strategies. */
async function addSignals(tenantId: string, n: number, prefix: string): Promise<void> {
  const created_at = Timestamp.now();
  const batch = db.batch();
  for (let i = 0; i < n; i++) {
    const strategy = "abc"[i % 3];
    const ticker = i < 2 ? "SPY" : `T${i}`;
    batch.set(db.doc(paths.signal(tenantId, `${prefix}${String(i).padStart(2, "0")}`)), {
      strategy_id: strategy, action: i % 5 === 4 ? "SELL" : "BUY", ticker, allocation: 0.01 + i / 1000, confidence: i === 1 ? 0.9 : 0.5,
      reasoning: `signal ${i}: a reason of the length strategies write, about eighty characters long`, status: "pending", created_at,
    });
  }
  await batch.commit();
}

async function replay(tenantId: string, sessionId: string, idToken: string) {
  return callCallable("replayOrchestration", { tenant_id: tenantId, session_id: sessionId }, idToken);
}

async function loggedOrchestration(tenantId: string, sessionId: string): Promise<Record<string, any>> {
  return waitFor(`orchestration ${sessionId} logged`, async () => {
    const data = (await db.doc(paths.orchestration(tenantId, sessionId)).get()).data();
    return data?.log?.state === "WRITTEN" ? data : undefined;
  }, 60_000, 250);
}

describe("replayOrchestration", () => {
  let tenantId: string;
  let viewer: { uid: string; idToken: string };
  let sessionId: string;

  beforeAll(async () => {
    tenantId = await seedTenant("replay");
    viewer = await memberOf(tenantId, "viewer");
  });

  test("orchestrateNow with the arbitration step records its inputs, learned state and seed; the replay is identical", async () => {
    const trader = await memberOf(tenantId, "trader");
    await addSignals(tenantId, 3, "n");
    const response = await callCallable("orchestrateNow", { tenant_id: tenantId }, trader.idToken);
    expect(response.error).toBeUndefined();
    sessionId = response.result.session_id;
    const spy = response.result.signals.filter((s: { ticker: string }) => s.ticker === "SPY");
    expect(spy.map((s: { arbitration: { won: boolean; bandit_version: number } }) => [s.arbitration.won, s.arbitration.bandit_version]).sort()).toEqual([[false, 5], [true, 5]]);

    const stored = await loggedOrchestration(tenantId, sessionId);
    expect(stored.inputs_ref).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parts: 1 });
    const inputs = (await db.doc(paths.orchestrationInputs(tenantId, stored.inputs_ref.sha256)).get()).data()!;
    expect(sha256(inputs.text)).toBe(stored.inputs_ref.sha256);
    expect(Buffer.byteLength(inputs.text)).toBe(stored.inputs_ref.bytes);
    const record = JSON.parse(inputs.text);
    expect(record).toMatchObject({ session_id: sessionId, now: stored.timestamp, bandit: LEARNED, arbitration_seed: seedOf(sessionId) });
    expect(record.signals.map((s: { id: string }) => s.id)).toEqual(["n00", "n01", "n02"]);

    const result = await replay(tenantId, sessionId, viewer.idToken);
    expect(result.error).toBeUndefined();
    expect(result.result).toMatchObject({ session_id: sessionId, replayable: true, identical: true, differences: [], difference_count: 0, inputs_sha256: stored.inputs_ref.sha256, finding_id: null });
    // 3 signals of some 20 fields each, 3 allocation decisions, the summaries.
    expect(result.result.compared_fields).toBeGreaterThan(60);
  }, 120_000);

  test("a market cycle of 20 signals replays identical; an edited allocation is named by its path and is one finding", async () => {
    await addSignals(tenantId, 20, "m");
    const slot = new Date(Math.floor(Date.now() / 300_000) * 300_000);
    const o = await orchestrateTenant(db, { tenant_id: tenantId, trigger: "market_cycle", requested_by: null, event: { id: `slot:${slot.toISOString()}`, time: slot }, clockAt: slot });
    expect(o.signals).toHaveLength(20);
    const stored = await loggedOrchestration(tenantId, o.session_id);
    const orchestrationBytes = Buffer.byteLength(JSON.stringify(stored));
    console.log(`replay: a 20-signal cycle's recorded inputs are ${stored.inputs_ref.bytes} bytes in ${stored.inputs_ref.parts} document (its orchestration ${orchestrationBytes} bytes)`);
    expect((await replay(tenantId, o.session_id, viewer.idToken)).result).toMatchObject({ replayable: true, identical: true, difference_count: 0 });

    const ref = db.doc(paths.orchestration(tenantId, o.session_id));
    const target = stored.signals[3];
    await ref.update({ signals: stored.signals.map((s: { signal_id: string }) => (s.signal_id === target.signal_id ? { ...s, allocation: 0.123 } : s)) });
    try {
      const edited = await replay(tenantId, o.session_id, viewer.idToken);
      expect(edited.result).toMatchObject({
        replayable: true,
        identical: false,
        difference_count: 1,
        differences: [{ path: `signals[signal_id=${target.signal_id}].allocation`, kind: "changed", stored: 0.123, replayed: target.allocation }],
        finding_id: `replay_${o.session_id}`,
      });
      const again = await replay(tenantId, o.session_id, viewer.idToken);
      expect(again.result.finding_id).toBe(`replay_${o.session_id}`);
      const findings = await db.collection(paths.findings(tenantId)).where("session_id", "==", o.session_id).get();
      expect(findings.docs.map((d) => d.id)).toEqual([`replay_${o.session_id}`]);
      expect(findings.docs[0].data()).toMatchObject({
        kind: "replay_difference",
        detected_by: "replayOrchestration",
        inputs_sha256: stored.inputs_ref.sha256,
        difference_count: 1,
        differences: [{ path: `signals[signal_id=${target.signal_id}].allocation`, kind: "changed", stored_json: "0.123", replayed_json: JSON.stringify(target.allocation) }],
      });
    } finally {
      // Put the decision back: the last file replays every orchestration the suite made.
      await ref.update({ signals: stored.signals });
    }
    expect((await replay(tenantId, o.session_id, viewer.idToken)).result).toMatchObject({ identical: true });
  }, 120_000);

  test("recorded inputs edited after the cycle do not verify: replayable false with the reason, and a finding", async () => {
    const stored = (await db.doc(paths.orchestration(tenantId, sessionId)).get()).data()!;
    const inputsRef = db.doc(paths.orchestrationInputs(tenantId, stored.inputs_ref.sha256));
    const original = (await inputsRef.get()).data()!;
    await inputsRef.update({ text: original.text.replace(`"version":5`, `"version":6`) });
    try {
      const result = await replay(tenantId, sessionId, viewer.idToken);
      expect(result.result).toMatchObject({ replayable: false, identical: false, inputs_sha256: stored.inputs_ref.sha256, finding_id: `replay_${sessionId}` });
      expect(result.result.reason).toMatch(new RegExp(`^orchestration_inputs/${stored.inputs_ref.sha256} holds \\d+ bytes hashing to [0-9a-f]{64}, not the \\d+ bytes the orchestration recorded`));
      expect((await db.doc(paths.finding(tenantId, `replay_${sessionId}`)).get()).get("kind")).toBe("replay_inputs_unverifiable");
    } finally {
      await inputsRef.set(original);
    }
  }, 60_000);

  test("an orchestration without recorded inputs is not replayable, not an error; an unknown one is not-found", async () => {
    // As written before replay existed: no inputs_ref (an update, so no trigger sees a new orchestration).
    const ref = db.doc(paths.orchestration(tenantId, sessionId));
    const inputsRef = (await ref.get()).get("inputs_ref");
    await ref.update({ inputs_ref: FieldValue.delete() });
    try {
      const result = await replay(tenantId, sessionId, viewer.idToken);
      expect(result.result).toEqual({
        session_id: sessionId, replayable: false, identical: false, reason: `orchestration ${sessionId} has no recorded inputs (written before replay existed)`,
        differences: [], difference_count: 0, inputs_sha256: null, compared_fields: 0, finding_id: null,
      });
    } finally {
      await ref.update({ inputs_ref: inputsRef });
    }
    const missing = await replay(tenantId, "maestro_1700000000000_00000000000000bb", viewer.idToken);
    expect(missing.error).toEqual({ status: "NOT_FOUND", message: `session_id: no orchestration 'maestro_1700000000000_00000000000000bb' in tenant '${tenantId}'` });
  }, 60_000);

  test("a viewer of another tenant is refused; a malformed session id is refused naming the field", async () => {
    const other = await seedTenant("replay-other");
    const outsider = await memberOf(other, "viewer");
    const refused = await replay(tenantId, sessionId, outsider.idToken);
    expect(refused.error).toEqual({ status: "PERMISSION_DENIED", message: `not a member of tenant '${tenantId}'` });
    const bad = await replay(tenantId, "maestro_x", viewer.idToken);
    expect(bad.error?.status).toBe("INVALID_ARGUMENT");
    expect(bad.error?.message).toMatch(/^session_id: must be a session id, maestro_\{epoch ms\}_\{16 hex\}/);
  }, 60_000);
});

test("the nightly chain verification replays what was written since its last run and records the counts; a difference fails it with a finding", async () => {
  const tenantId = await seedTenant("replay-nightly");
  const cycle = async (prefix: string) => {
    await addSignals(tenantId, 3, prefix);
    return orchestrateTenant(db, { tenant_id: tenantId, trigger: "orchestrate_now", requested_by: "replay-test" });
  };
  const first = [await cycle("p"), await cycle("q")];
  for (const o of first) await loggedOrchestration(tenantId, o.session_id);
  const job = (now: Date) => chainVerificationJob(db, { tenant_id: tenantId, run_id: `replay-${now.getTime()}`, cursor: undefined, now, budget_ms: 60_000 });

  const night1 = new Date();
  const run1 = await job(night1);
  expect(run1).toMatchObject({ status: "ok", detail: { replayed: 2, identical: 2, different: 0 } });
  const status1 = (await db.doc(paths.logChainVerification(tenantId)).get()).data()!;
  expect(status1.replay).toEqual({
    since: null, until: night1.toISOString(), sampled: 2, replayed: 2, identical: 2, different: 0, not_replayable: 0, inputs_unverifiable: 0, differences: 0,
    session_ids: first.map((o) => o.session_id).sort(),
  });

  // The next night sees only what came after: one new cycle, edited.
  await new Promise((r) => setTimeout(r, 5));
  const later = await cycle("r");
  const stored = await loggedOrchestration(tenantId, later.session_id);
  const ref = db.doc(paths.orchestration(tenantId, later.session_id));
  await ref.update({ "systemic_risk.sell_count": 7 });
  try {
    const night2 = new Date(Date.now() + 1_000);
    const run2 = await job(night2);
    expect(run2.status).toBe("failed");
    // The walk re-digests each logged orchestration, so it finds the edit too; the replay names the field.
    expect(run2.reason).toMatch(/; replay: 1 of 1 sampled orchestrations decide differently from their recorded inputs, 0 have inputs that do not verify/);
    const status2 = (await db.doc(paths.logChainVerification(tenantId)).get()).data()!;
    expect(status2.replay).toMatchObject({ since: night1.toISOString(), until: night2.toISOString(), replayed: 1, identical: 0, different: 1, differences: 1, session_ids: [later.session_id] });
    expect((await db.doc(paths.finding(tenantId, `replay_${later.session_id}`)).get()).data()).toMatchObject({
      kind: "replay_difference", detected_by: "chain_verification", differences: [{ path: "systemic_risk.sell_count", stored_json: "7", replayed_json: String(stored.systemic_risk.sell_count) }],
    });
  } finally {
    await ref.update({ "systemic_risk.sell_count": stored.systemic_risk.sell_count });
  }
}, 180_000);
