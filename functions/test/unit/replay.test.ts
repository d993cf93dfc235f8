/**
 * Replay (issue 13): the cycle's recorded inputs (core/cycle-inputs.ts) — canonical text,
 * content address, parts — and the field-by-field comparison of a replayed decision with
 * the stored one (core/replay.ts).
 */
import { createHash } from "node:crypto";
import { INPUTS_PART_BYTES, decideFromInputs, decodeCycleInputs, recordCycleInputs, splitUtf8 } from "../../src/core/cycle-inputs";
import { ISSUED_NONCE, compareDecisions, replayAndCompare, replayDecision } from "../../src/core/replay";
import { orchestrateCycle } from "../../src/core/orchestrate";
import { BASE_FACTOR_WEIGHTS, seedOf } from "../../src/core/arbitration";
import { EMPTY_SESSION_RISK } from "../../src/core/session-guardian";
import { MaestroConfigSchema, type StrategyWeight } from "../../src/schemas";
import { CYCLE_INPUTS_FORMAT, type CycleInputRecord } from "../../src/schemas/replay";

const SESSION = "maestro_1735560000000_a1b2c3d4e5f60718";
const NOW = "2024-12-30T12:00:00.000Z";

const weight = (id: string, w: number, mode: StrategyWeight["mode"], win_rate: number, total_return: number): StrategyWeight => ({
  strategy_id: id, strategy_name: id.toUpperCase(), weight: w, mode, reasoning: `${id} reasoning`, sharpe_ratio: 2, sortino_ratio: null, total_return,
  annualized_return: null, volatility: 0.1, max_drawdown: 0, win_rate, data_points: 30, period_start: null, period_end: null, paper_days: 0,
});

const signal = (id: string, strategy_id: string, action: string, ticker: string, allocation: number, confidence = 0.5) => ({
  id,
  data: { strategy_id, action, ticker, allocation, confidence, reasoning: "", status: "pending", created_at: new Date("2024-12-30T11:59:00.000Z") },
});

/** A cycle's record as the stage builds it before storable(): Dates and undefined fields included. */
function rawRecord(over: Record<string, unknown> = {}) {
  return {
    format: CYCLE_INPUTS_FORMAT,
    tenant_id: "t1",
    session_id: SESSION,
    now: NOW,
    trading_day: "2024-12-30",
    config: MaestroConfigSchema.parse({ cycle_steps: ["weights", "systemic_override", "arbitration", "buying_power"] }),
    strategies: { a: { name: "A", enabled: true, capital_base: 100_000, manual_mode: null, allocation_weight: undefined }, b: { name: "B", enabled: true, capital_base: 100_000, manual_mode: null }, c: { name: "C", enabled: true, capital_base: 50_000, manual_mode: null } },
    weights: { a: weight("a", 1, "ACTIVE", 0.6, 0.1), b: weight("b", 0.5, "REDUCED", 0.4, 0.05), c: weight("c", 1, "ACTIVE", 0.5, 0) },
    signals: [signal("1", "a", "BUY", "SPY", 0.1, 0.5), signal("2", "b", "BUY", "SPY", 0.2, 0.9), signal("3", "c", "SELL", "QQQ", 0.1)],
    pre_rejected: [{ signal_id: "0bad", reason: "strategy_id: strategy 'x' is malformed (capital_base: must be a number)" }],
    positions: { c: { QQQ: 10 } },
    correlated_pairs: [],
    marks: null,
    bandit: { version: 3, factors: Object.fromEntries(Object.keys(BASE_FACTOR_WEIGHTS).map((f, i) => [f, { alpha: 1 + i, beta: 2 }])) },
    arbitration_seed: seedOf(SESSION),
    equity: { value: 1_000_000, source: "account snapshot", as_of: NOW },
    buying_power: { available: 50_000, source: "account snapshot" },
    session: { state: "ACTIVE_TRADING", paused_reason: null, risk: EMPTY_SESSION_RISK, closed_trades: [], trading_since: "2024-12-30T09:30:00.000Z", closes_at: null, equity_as_of: NOW },
    ...over,
  };
}
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const counter = () => {
  let n = 0;
  return () => (++n).toString(16).padStart(32, "0");
};

describe("recorded cycle inputs", () => {
  it("are one canonical text whatever the key order, named by its sha256; any change in an input changes the name", () => {
    const a = recordCycleInputs(plain(rawRecord()));
    const shuffled = Object.fromEntries(Object.entries(plain(rawRecord())).reverse());
    const b = recordCycleInputs(shuffled);
    expect(b.text).toBe(a.text);
    expect(a.sha256).toBe(createHash("sha256").update(a.text, "utf8").digest("hex"));
    expect(b.sha256).toBe(a.sha256);
    // Keys sorted at every depth, no whitespace: the first key of the record is arbitration_seed.
    expect(a.text.startsWith(`{"arbitration_seed":${seedOf(SESSION)},"bandit":{"factors":{"capital_efficiency":{"alpha":4,"beta":2}`)).toBe(true);
    expect(a.bytes).toBe(Buffer.byteLength(a.text));
    const moved = recordCycleInputs(plain(rawRecord({ signals: [signal("1", "a", "BUY", "SPY", 0.11, 0.5), signal("2", "b", "BUY", "SPY", 0.2, 0.9), signal("3", "c", "SELL", "QQQ", 0.1)] })));
    expect(moved.sha256).not.toBe(a.sha256);
  });

  it("decode back to the record; a Date in a signal is its ISO string, and a record missing a field is refused naming it", () => {
    const r = recordCycleInputs(plain(rawRecord()));
    expect((r.record.signals[0].data as { created_at: unknown }).created_at).toBe("2024-12-30T11:59:00.000Z");
    const decoded = decodeCycleInputs(r.text);
    expect(decoded.ok && decoded.record).toEqual(r.record);
    const { arbitration_seed: _, ...withoutSeed } = plain(rawRecord());
    expect(() => recordCycleInputs(withoutSeed)).toThrow(/arbitration_seed/);
    expect(decodeCycleInputs("{not json")).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });

  it("drop fields inside the record that the core does not read, rather than refuse the cycle (a stored correlated pair's days)", () => {
    const r = recordCycleInputs(plain(rawRecord({ correlated_pairs: [{ a: "a", b: "b", rho: 0.8, days: 30 }], equity: { value: 5, source: "s", as_of: null, extra: 1 } })));
    expect(r.record.correlated_pairs).toEqual([{ a: "a", b: "b", rho: 0.8 }]);
    expect(r.record.equity).toEqual({ value: 5, source: "s", as_of: null });
    // The record's own fields stay strict: the stage builds them.
    expect(() => recordCycleInputs(plain(rawRecord({ surprise: true })))).toThrow(/surprise/);
  });

  it("decide exactly as the core does on the values in memory (the record changes nothing the core reads)", () => {
    const raw = rawRecord();
    const direct = orchestrateCycle({
      tenant_id: "t1", session_id: SESSION, now: new Date(NOW), config: raw.config, strategies: raw.strategies as never, weights: raw.weights,
      signals: raw.signals, issueNonce: counter(), buyingPower: { available: 50_000, source: "account snapshot" }, positions: raw.positions,
      correlatedPairs: [], bandit: raw.bandit as never, equity: raw.equity, session: raw.session as never,
    });
    const { cycle, decision } = decideFromInputs(recordCycleInputs(plain(raw)).record, counter());
    expect(cycle.signals).toEqual(direct.signals);
    expect(cycle.allocation_decisions).toEqual(direct.allocation_decisions);
    // The stage's refusal is merged in signal-id order: "0bad" < "1".
    expect(decision.rejected_signals.map((r) => r.signal_id)).toEqual(["0bad"]);
    expect(decision.trading_session).toEqual({ day: "2024-12-30", state: "ACTIVE_TRADING", entry_block: null, active_locks: [], orders: 2, session_trades: 2 });
  });

  it("are cut into parts of at most the part size, never inside a character, and join back to the same text", () => {
    const text = `ab${"é".repeat(3)}😀c😀`;
    const parts = splitUtf8(text, 4);
    expect(parts.join("")).toBe(text);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(4);
    // "ab" + "é" (2 + 2 bytes), "éé" (4), "😀" (4), "c" — the next 😀 would make 5 — then "😀".
    expect(parts).toEqual(["abé", "éé", "😀", "c", "😀"]);
    expect(splitUtf8("short", 100)).toEqual(["short"]);
  });

  it("a 1,000-signal cycle with full 2,000-character reasonings spills into parts under the document limit and hashes the same rejoined", () => {
    const signals = Array.from({ length: 1000 }, (_, i) => ({ ...signal(`sig-${String(i).padStart(4, "0")}`, "abc"[i % 3], i % 2 ? "BUY" : "SELL", `T${i % 50}`, 0.01), data: { ...signal("x", "abc"[i % 3], "BUY", `T${i % 50}`, 0.01).data, reasoning: "r".repeat(2000) } }));
    const r = recordCycleInputs(plain(rawRecord({ signals })));
    // 1,000 × 2,000 characters of reasoning alone is 2,000,000 bytes: more than one document holds.
    expect(r.bytes).toBeGreaterThan(2_000_000);
    const parts = splitUtf8(r.text);
    expect(parts.length).toBe(Math.ceil(r.bytes / INPUTS_PART_BYTES));
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(INPUTS_PART_BYTES);
    expect(createHash("sha256").update(parts.join(""), "utf8").digest("hex")).toBe(r.sha256);
  });
});

describe("comparing a replayed decision with the stored one", () => {
  const record = recordCycleInputs(plain(rawRecord())).record;
  /** As the stage stores it: real nonces, storable(), and the bookkeeping fields beside the decision. */
  const stored = () => ({
    ...plain(decideFromInputs(record, counter()).decision),
    trigger: "market_cycle", requested_by: null, latency_ms: 17, io: { reads: 12, writes: 9 }, log: { state: "WRITTEN" },
  });
  const byId = (o: { signals: { signal_id: string }[] }, id: string) => o.signals.find((s) => s.signal_id === id)! as unknown as Record<string, unknown> & { interventions: unknown[] };

  it("identical inputs replay identically: other nonces, latency and I/O are not decisions", () => {
    const s = stored();
    expect(byId(s, "1").nonce).toBe("00000000000000000000000000000001");
    const result = replayAndCompare(record, s);
    expect(result.differences).toEqual([]);
    expect(result.identical).toBe(true);
    // Every leaf of the decision: at least each signal's own fields were compared.
    expect(result.compared_fields).toBeGreaterThan(3 * 15);
  });

  it("a changed allocation and a changed action are reported at their paths with both values", () => {
    const s = stored();
    // Signal 3 is c's SELL of QQQ against a long: an exit at 0.1 × c's weight 1 = 0.1.
    byId(s, "3").allocation = 0.05;
    byId(s, "3").action = "BUY";
    const result = compareDecisions(s, replayDecision(record) as never);
    expect(result.identical).toBe(false);
    expect(result.differences).toEqual([
      { path: "signals[signal_id=3].action", kind: "changed", stored: "BUY", replayed: "SELL" },
      { path: "signals[signal_id=3].allocation", kind: "changed", stored: 0.05, replayed: 0.1 },
    ]);
  });

  it("a signal missing from the stored decision, and one added to it, are each one difference", () => {
    const s = stored();
    const [one, two, three] = s.signals;
    s.signals = [one, three, { ...two, signal_id: "9" }];
    const result = compareDecisions(s, replayDecision(record) as never);
    expect(result.differences.map((d) => [d.path, d.kind])).toEqual([
      ["signals[signal_id=9]", "only_stored"],
      ["signals[signal_id=2]", "only_replayed"],
    ]);
    expect(result.differences[1].replayed).toMatchObject({ signal_id: "2", strategy_id: "b" });
  });

  it("an intervention added to a stored signal is reported with its index", () => {
    const s = stored();
    const added = { step: "buying_power", code: "BUYING_POWER_SCALED", reason: "edited", before: { action: "BUY", allocation: 0.1 }, after: { action: "BUY", allocation: 0.05 } };
    byId(s, "1").interventions.push(added);
    const result = compareDecisions(s, replayDecision(record) as never);
    expect(result.differences).toEqual([{ path: `signals[signal_id=1].interventions[${byId(s, "1").interventions.length - 1}]`, kind: "only_stored", stored: added, replayed: null }]);
  });

  it("a nonce is compared only as issued or not; the order of the signals is compared; bookkeeping is not", () => {
    const s = stored();
    byId(s, "1").nonce = null;
    s.signals.reverse();
    s.latency_ms = 99_999;
    const result = compareDecisions(s, replayDecision(record) as never);
    expect(result.differences).toEqual([
      { path: "signals[signal_id=1].nonce", kind: "changed", stored: null, replayed: ISSUED_NONCE },
      { path: "signals(order of signal_id)", kind: "changed", stored: ["3", "2", "1"], replayed: ["1", "2", "3"] },
    ]);
  });

  it("a missing decided field, a rejection and the session summary are compared too", () => {
    const s = stored() as Record<string, unknown> & { rejected_signals: unknown[]; trading_session: Record<string, unknown> };
    delete s.buying_power;
    s.rejected_signals = [];
    s.trading_session.orders = 0;
    const paths = compareDecisions(s, replayDecision(record) as never).differences.map((d) => `${d.path} ${d.kind}`);
    expect(paths).toEqual(["rejected_signals[signal_id=0bad] only_replayed", "buying_power only_replayed", "trading_session.orders changed"]);
  });
});

describe("the seeded arbitration replays", () => {
  const record = recordCycleInputs(plain(rawRecord())).record;
  it("the same seed and learned state draw the same weights and the same winner; another seed or state is a difference", () => {
    const first = replayDecision(record);
    const spy = first.signals.filter((s) => s.ticker === "SPY");
    // Two strategies on SPY contest it: one won, the other is held with the breakdown.
    expect(spy.map((s) => s.arbitration?.won).sort()).toEqual([false, true]);
    expect(replayAndCompare(record, plain(first)).identical).toBe(true);

    const reseeded = replayAndCompare({ ...record, arbitration_seed: record.arbitration_seed ^ 1 }, plain(first));
    expect(reseeded.identical).toBe(false);
    expect(reseeded.differences.some((d) => /^signals\[signal_id=[12]\]\.arbitration\.draws\./.test(d.path))).toBe(true);

    const relearned = replayAndCompare({ ...record, bandit: { ...record.bandit!, version: 4 } }, plain(first));
    expect(relearned.differences.map((d) => d.path)).toEqual(["signals[signal_id=1].arbitration.bandit_version", "signals[signal_id=2].arbitration.bandit_version"]);
  });
});
