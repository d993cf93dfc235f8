/**
 * Daily monitoring counters (seed 000 "Key Metrics to Monitor"), tenants/{t}/metrics/{day}:
 * latency histogram and percentiles worked out by hand, Sharpe decay detection, the
 * decay_log cap, purity (frozen inputs) and the schema's empty document.
 */
import {
  DECAY_LOG_LIMIT,
  LATENCY_BUCKETS_MS,
  emptyMetrics,
  histogramPercentile,
  isSharpeDecay,
  latencyBucket,
  modeDowngrades,
  recordCycle,
  recordDecay,
  recordNonceFinding,
  type CycleObservation,
  type ModeChange,
} from "../../src/core/cycle-metrics";
import { MODES, parseWithReason, type Mode } from "../../src/schemas";
import { DailyMetricsSchema, type DailyMetrics } from "../../src/schemas/metrics";

const AT = "2026-03-02T15:00:00.000Z";

function cycle(overrides: Partial<CycleObservation> = {}): CycleObservation {
  return {
    latency_ms: 100,
    systemic_override: false,
    signals_overridden: 0,
    signals_orchestrated: 0,
    signals_rejected: 0,
    modes: {},
    summary_source: "written",
    at: AT,
    ...overrides,
  };
}

function withLatencies(latencies: readonly number[]): DailyMetrics {
  return latencies.reduce((m, latency_ms) => recordCycle(m, cycle({ latency_ms })), emptyMetrics("t1", "2026-03-02"));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Every object reachable from `value`, to show a result shares none with its input. */
function objectsOf(value: unknown, out: Set<object> = new Set()): Set<object> {
  if (value && typeof value === "object") {
    out.add(value);
    for (const v of Object.values(value)) objectsOf(v, out);
  }
  return out;
}

function expectNoSharedObjects(input: unknown, output: unknown): void {
  const inputs = objectsOf(input);
  for (const o of objectsOf(output)) expect(inputs.has(o)).toBe(false);
}

/** A day with some of everything, deep-frozen, to run the purity checks against. */
function busyDay(): DailyMetrics {
  let m = withLatencies([30, 60]);
  m = recordCycle(m, cycle({ latency_ms: 900, systemic_override: true, signals_overridden: 1, signals_orchestrated: 3, modes: { a: "ACTIVE", b: "REDUCED" }, summary_source: "gemini" }));
  m = recordDecay(m, [{ strategy_id: "a", from: "ACTIVE", to: "REDUCED" }], "2026-03-02T14:00:00.000Z");
  m = recordNonceFinding(m, "finding", "2026-03-02T14:30:00.000Z");
  return deepFreeze(m);
}

describe("latency buckets", () => {
  test("the bucket bounds are 25 ms doubling to 12800 ms", () => {
    expect(LATENCY_BUCKETS_MS).toEqual([25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800]);
  });

  test("a latency falls in the smallest bucket whose bound is >= it; above 12800 ms is 'inf'", () => {
    expect(latencyBucket(0)).toBe("25");
    expect(latencyBucket(25)).toBe("25");
    expect(latencyBucket(25.5)).toBe("50");
    expect(latencyBucket(60)).toBe("100");
    expect(latencyBucket(900)).toBe("1600");
    expect(latencyBucket(12800)).toBe("12800");
    expect(latencyBucket(12800.1)).toBe("inf");
    expect(latencyBucket(20000)).toBe("inf");
  });

  test("a negative, NaN or infinite latency is refused", () => {
    expect(() => latencyBucket(-1)).toThrow(RangeError);
    expect(() => latencyBucket(Number.NaN)).toThrow(RangeError);
    expect(() => latencyBucket(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("histogramPercentile (nearest rank, upper bound of the bucket)", () => {
  // [30, 60, 60, 120, 900]: 30 → "50", 60 and 60 → "100", 120 → "200", 900 → "1600".
  // Cumulative counts by bucket: 50:1, 100:3, 200:4, 1600:5.
  const five = { "50": 1, "100": 2, "200": 1, "1600": 1 };

  test("p50 of five samples is rank ceil(2.5) = 3, in bucket 100; p95 is rank ceil(4.75) = 5, in bucket 1600", () => {
    expect(histogramPercentile(five, 5, 0.5, 900)).toBe(100);
    expect(histogramPercentile(five, 5, 0.95, 900)).toBe(1600);
  });

  test("each rank of the five samples maps to its bucket's bound", () => {
    expect(histogramPercentile(five, 5, 0.2, 900)).toBe(50); // rank 1
    expect(histogramPercentile(five, 5, 0.4, 900)).toBe(100); // rank 2
    expect(histogramPercentile(five, 5, 0.6, 900)).toBe(100); // rank 3
    expect(histogramPercentile(five, 5, 0.8, 900)).toBe(200); // rank 4
    expect(histogramPercentile(five, 5, 1, 900)).toBe(1600); // rank 5
  });

  test("keys that are no bucket are ignored; buckets holding fewer than count samples give the max", () => {
    // Rank 3 of 5: the known buckets hold one sample, so the quantile is past them: the max.
    expect(histogramPercentile({ "30": 4, "100": 1 }, 5, 0.5, 120)).toBe(120);
    expect(histogramPercentile({ "30": 4, "100": 1 }, 5, 0.2, 120)).toBe(100);
  });

  test("a quantile in the 'inf' bucket is the recorded max", () => {
    expect(histogramPercentile({ inf: 1 }, 1, 0.95, 20000)).toBe(20000);
    // 19 fast cycles and one of 20 s: p95 is rank 19 (bucket 25), p100 is rank 20 (inf → max).
    expect(histogramPercentile({ "25": 19, inf: 1 }, 20, 0.95, 20000)).toBe(25);
    expect(histogramPercentile({ "25": 19, inf: 1 }, 20, 1, 20000)).toBe(20000);
  });

  test("no samples: null", () => {
    expect(histogramPercentile({}, 0, 0.5, 0)).toBeNull();
    expect(histogramPercentile({}, 0, 0.95, 0)).toBeNull();
  });

  test("the rank survives float error: 0.07 × 100 = 7.000000000000001 is rank 7, not 8", () => {
    expect(0.07 * 100).toBeGreaterThan(7);
    expect(histogramPercentile({ "25": 7, "50": 93 }, 100, 0.07, 50)).toBe(25);
    expect(histogramPercentile({ "25": 7, "50": 93 }, 100, 0.08, 50)).toBe(50);
  });

  test("p outside (0, 1] and a count that is no integer >= 0 are refused", () => {
    expect(() => histogramPercentile(five, 5, 0, 900)).toThrow(RangeError);
    expect(() => histogramPercentile(five, 5, 1.5, 900)).toThrow(RangeError);
    expect(() => histogramPercentile(five, 5, Number.NaN, 900)).toThrow(RangeError);
    expect(() => histogramPercentile(five, -1, 0.5, 900)).toThrow(RangeError);
    expect(() => histogramPercentile(five, 2.5, 0.5, 900)).toThrow(RangeError);
  });
});

describe("recordCycle", () => {
  test("latencies [30, 60, 60, 120, 900] give the hand-worked histogram, p50 100, p95 1600, max 900", () => {
    const m = withLatencies([30, 60, 60, 120, 900]);
    expect(m.latency_ms).toEqual({
      histogram: { "50": 1, "100": 2, "200": 1, "1600": 1 },
      count: 5,
      sum: 1170,
      max: 900,
      p50: 100,
      p95: 1600,
    });
    expect(m.cycles).toBe(5);
  });

  test("percentiles are recomputed every cycle: one cycle of 30 ms gives p50 = p95 = 50", () => {
    const m = withLatencies([30]);
    expect(m.latency_ms).toEqual({ histogram: { "50": 1 }, count: 1, sum: 30, max: 30, p50: 50, p95: 50 });
  });

  test("a 20000 ms cycle lands in 'inf' and p95 becomes the max, 20000", () => {
    // Six samples: p50 is rank 3 (bucket 100), p95 is rank ceil(5.7) = 6 (inf → max).
    const m = withLatencies([30, 60, 60, 120, 900, 20000]);
    expect(m.latency_ms.histogram).toEqual({ "50": 1, "100": 2, "200": 1, "1600": 1, inf: 1 });
    expect(m.latency_ms.max).toBe(20000);
    expect(m.latency_ms.p50).toBe(100);
    expect(m.latency_ms.p95).toBe(20000);
  });

  test("p50 is exactly the 10th of 20 samples and p95 exactly the 19th", () => {
    // 9 × 30 → "50", 60 → "100", 10 × 120 → "200": cumulative 9, 10, 20. Rank 10 is in 100
    // (rank 9 would be 50, rank 11 would be 200).
    const median = withLatencies([...Array(9).fill(30), 60, ...Array(10).fill(120)]);
    expect(median.latency_ms.p50).toBe(100);
    // 18 × 30 → "50", 900 → "1600", 20000 → "inf": rank 19 is in 1600 (rank 18 would be 50,
    // rank 20 would be the max, 20000).
    const tail = withLatencies([...Array(18).fill(30), 900, 20000]);
    expect(tail.latency_ms.p50).toBe(50);
    expect(tail.latency_ms.p95).toBe(1600);
    expect(tail.latency_ms.max).toBe(20000);
  });

  test("the max does not fall when a faster cycle follows", () => {
    expect(withLatencies([900, 30]).latency_ms.max).toBe(900);
  });

  test("counts overrides, signals, strategy-cycles by mode and the latest mode of each strategy", () => {
    let m = emptyMetrics("t1", "2026-03-02");
    m = recordCycle(m, cycle({
      systemic_override: true,
      signals_overridden: 2,
      signals_orchestrated: 5,
      signals_rejected: 1,
      modes: { a: "ACTIVE", b: "REDUCED", c: "SHADOW_MODE" },
      at: "2026-03-02T14:00:00.000Z",
    }));
    m = recordCycle(m, cycle({
      systemic_override: true, // fired, but there was no BUY to override
      signals_overridden: 0,
      signals_orchestrated: 3,
      signals_rejected: 2,
      modes: { a: "REDUCED", b: "REDUCED", d: "DISABLED" },
      at: "2026-03-02T14:15:00.000Z",
    }));
    m = recordCycle(m, cycle({ signals_orchestrated: 1, modes: { a: "ACTIVE" }, at: "2026-03-02T14:30:00.000Z" }));

    expect(m.cycles).toBe(3);
    expect(m.systemic_overrides).toBe(2);
    expect(m.signals_overridden).toBe(2);
    expect(m.signals_orchestrated).toBe(9);
    expect(m.signals_rejected).toBe(3);
    expect(m.modes).toEqual({ ACTIVE: 2, REDUCED: 3, SHADOW_MODE: 1, DISABLED: 1 });
    // c was last seen SHADOW_MODE in the first cycle and keeps it.
    expect(m.modes_latest).toEqual({ a: "ACTIVE", b: "REDUCED", c: "SHADOW_MODE", d: "DISABLED" });
    expect(m.updated_at).toBe("2026-03-02T14:30:00.000Z");
  });

  test("summaries are counted by source", () => {
    const sources = ["gemini", "written", "gemini", "gemini"] as const;
    const m = sources.reduce((acc, summary_source) => recordCycle(acc, cycle({ summary_source })), emptyMetrics("t1", "2026-03-02"));
    expect(m.summaries).toEqual({ gemini: 3, written: 1 });
  });

  test("does not mutate its (deep-frozen) input and shares no object with it", () => {
    const before = busyDay();
    const snapshot = structuredClone(before);
    const after = recordCycle(before, cycle({ latency_ms: 20000, signals_orchestrated: 2, modes: { a: "SHADOW_MODE", e: "ACTIVE" }, summary_source: "gemini" }));
    expect(before).toEqual(snapshot);
    expectNoSharedObjects(before, after);
    expect(after.cycles).toBe(before.cycles + 1);
    expect(after.latency_ms.histogram.inf).toBe(1);
    expect(after.decay_log).toEqual(before.decay_log);
  });

  test("refuses an impossible cycle", () => {
    const m = emptyMetrics("t1", "2026-03-02");
    expect(() => recordCycle(m, cycle({ latency_ms: -5 }))).toThrow(RangeError);
    expect(() => recordCycle(m, cycle({ signals_orchestrated: 1.5 }))).toThrow(RangeError);
    expect(() => recordCycle(m, cycle({ signals_rejected: -1 }))).toThrow(RangeError);
    expect(() => recordCycle(m, cycle({ signals_overridden: 1, systemic_override: false }))).toThrow(/did not fire/);
    expect(() => recordCycle(m, cycle({ modes: { a: "PAUSED" as Mode } }))).toThrow(/unknown mode/);
  });
});

describe("modeDowngrades (Sharpe decay: a move down ACTIVE > REDUCED > SHADOW_MODE)", () => {
  test("exactly ACTIVE→REDUCED, ACTIVE→SHADOW_MODE and REDUCED→SHADOW_MODE are decay, of all 16 pairs", () => {
    const decays = MODES.flatMap((from) => MODES.filter((to) => isSharpeDecay(from, to)).map((to) => `${from}→${to}`));
    expect(decays).toEqual(["ACTIVE→REDUCED", "ACTIVE→SHADOW_MODE", "REDUCED→SHADOW_MODE"]);
  });

  test("finds every downgrade, sorted by strategy_id in code-unit order", () => {
    const previous: Record<string, Mode> = { z: "ACTIVE", b: "ACTIVE", a: "REDUCED", B: "ACTIVE" };
    const next: Record<string, Mode> = { z: "REDUCED", b: "SHADOW_MODE", a: "SHADOW_MODE", B: "REDUCED" };
    expect(modeDowngrades(previous, next)).toEqual([
      { strategy_id: "B", from: "ACTIVE", to: "REDUCED" },
      { strategy_id: "a", from: "REDUCED", to: "SHADOW_MODE" },
      { strategy_id: "b", from: "ACTIVE", to: "SHADOW_MODE" },
      { strategy_id: "z", from: "ACTIVE", to: "REDUCED" },
    ]);
  });

  test("upward moves and unchanged modes are not decay", () => {
    expect(modeDowngrades(
      { a: "REDUCED", b: "SHADOW_MODE", c: "SHADOW_MODE", d: "ACTIVE", e: "REDUCED", f: "SHADOW_MODE" },
      { a: "ACTIVE", b: "REDUCED", c: "ACTIVE", d: "ACTIVE", e: "REDUCED", f: "SHADOW_MODE" },
    )).toEqual([]);
  });

  test("moves to or from DISABLED are manual, not decay", () => {
    expect(modeDowngrades(
      { a: "ACTIVE", b: "REDUCED", c: "SHADOW_MODE", d: "DISABLED", e: "DISABLED" },
      { a: "DISABLED", b: "DISABLED", c: "DISABLED", d: "SHADOW_MODE", e: "REDUCED" },
    )).toEqual([]);
  });

  test("a strategy new in next, or missing from next, is not decay", () => {
    expect(modeDowngrades({ gone: "ACTIVE" }, { fresh: "SHADOW_MODE" })).toEqual([]);
    expect(modeDowngrades({}, { a: "SHADOW_MODE", b: "REDUCED" })).toEqual([]);
    // Only the strategy present in both counts.
    expect(modeDowngrades({ a: "ACTIVE" }, { a: "REDUCED", fresh: "SHADOW_MODE" })).toEqual([
      { strategy_id: "a", from: "ACTIVE", to: "REDUCED" },
    ]);
  });
});

describe("recordDecay", () => {
  test("counts the events and appends them stamped with the cycle's time", () => {
    const events: ModeChange[] = [
      { strategy_id: "a", from: "ACTIVE", to: "REDUCED" },
      { strategy_id: "b", from: "REDUCED", to: "SHADOW_MODE" },
    ];
    const m = recordDecay(emptyMetrics("t1", "2026-03-02"), events, AT);
    expect(m.sharpe_decay_events).toBe(2);
    expect(m.decay_log).toEqual([
      { strategy_id: "a", from: "ACTIVE", to: "REDUCED", at: AT },
      { strategy_id: "b", from: "REDUCED", to: "SHADOW_MODE", at: AT },
    ]);
    expect(m.updated_at).toBe(AT);
  });

  test("decay_log keeps the latest 50 events, dropping the oldest; the counter keeps counting", () => {
    expect(DECAY_LOG_LIMIT).toBe(50);
    let m = emptyMetrics("t1", "2026-03-02");
    for (let i = 0; i < 48; i++) {
      m = recordDecay(m, [{ strategy_id: `s${i}`, from: "ACTIVE", to: "REDUCED" }], `t${i}`);
    }
    expect(m.decay_log).toHaveLength(48);
    // One batch of 5 crosses the limit: 53 events, the 3 oldest (s0, s1, s2) drop out.
    const batch: ModeChange[] = ["x0", "x1", "x2", "x3", "x4"].map((id) => ({ strategy_id: id, from: "REDUCED", to: "SHADOW_MODE" }));
    m = recordDecay(m, batch, "t48");
    expect(m.sharpe_decay_events).toBe(53);
    expect(m.decay_log).toHaveLength(50);
    expect(m.decay_log[0]).toEqual({ strategy_id: "s3", from: "ACTIVE", to: "REDUCED", at: "t3" });
    expect(m.decay_log[44]).toEqual({ strategy_id: "s47", from: "ACTIVE", to: "REDUCED", at: "t47" });
    expect(m.decay_log.slice(45).map((e) => e.strategy_id)).toEqual(["x0", "x1", "x2", "x3", "x4"]);
    // 20 more single events: still 50, the newest last.
    for (let i = 49; i < 69; i++) {
      m = recordDecay(m, [{ strategy_id: `s${i}`, from: "ACTIVE", to: "SHADOW_MODE" }], `t${i}`);
    }
    expect(m.sharpe_decay_events).toBe(73);
    expect(m.decay_log).toHaveLength(50);
    expect(m.decay_log[0].strategy_id).toBe("s23");
    expect(m.decay_log[49]).toEqual({ strategy_id: "s68", from: "ACTIVE", to: "SHADOW_MODE", at: "t68" });
    expect(DailyMetricsSchema.safeParse(m).success).toBe(true);
  });

  test("no events: nothing changes, not even updated_at", () => {
    const before = busyDay();
    const after = recordDecay(before, [], "2026-03-02T23:00:00.000Z");
    expect(after).toEqual(before);
    expectNoSharedObjects(before, after);
  });

  test("refuses an event that is not a move down the ladder", () => {
    const m = emptyMetrics("t1", "2026-03-02");
    expect(() => recordDecay(m, [{ strategy_id: "a", from: "ACTIVE", to: "DISABLED" }], AT)).toThrow(/not a Sharpe decay/);
    expect(() => recordDecay(m, [{ strategy_id: "a", from: "REDUCED", to: "ACTIVE" }], AT)).toThrow(RangeError);
  });

  test("does not mutate its (deep-frozen) input and shares no object with it", () => {
    const before = busyDay();
    const snapshot = structuredClone(before);
    const events = deepFreeze([{ strategy_id: "b", from: "REDUCED", to: "SHADOW_MODE" }] as ModeChange[]);
    const after = recordDecay(before, events, AT);
    expect(before).toEqual(snapshot);
    expectNoSharedObjects(before, after);
    expect(after.decay_log).toHaveLength(before.decay_log.length + 1);
    expect(after.sharpe_decay_events).toBe(before.sharpe_decay_events + 1);
  });
});

describe("recordNonceFinding", () => {
  test("collisions and audit findings are counted apart, and stamp updated_at", () => {
    let m = emptyMetrics("t1", "2026-03-02");
    m = recordNonceFinding(m, "collision", "2026-03-02T10:00:00.000Z");
    m = recordNonceFinding(m, "finding", "2026-03-02T11:00:00.000Z");
    m = recordNonceFinding(m, "finding", "2026-03-02T12:00:00.000Z");
    expect(m.nonce_collisions).toBe(1);
    expect(m.nonce_findings).toBe(2);
    expect(m.updated_at).toBe("2026-03-02T12:00:00.000Z");
  });

  test("does not mutate its (deep-frozen) input and shares no object with it", () => {
    const before = busyDay();
    const snapshot = structuredClone(before);
    const after = recordNonceFinding(before, "collision", AT);
    expect(before).toEqual(snapshot);
    expectNoSharedObjects(before, after);
    expect(after).toEqual({ ...snapshot, nonce_collisions: snapshot.nonce_collisions + 1, updated_at: AT });
  });
});

describe("one orchestration as the metrics transaction applies it", () => {
  test("decay is found against modes_latest before recordCycle overwrites it", () => {
    const apply = (m: DailyMetrics, c: CycleObservation): DailyMetrics =>
      recordDecay(recordCycle(m, c), modeDowngrades(m.modes_latest, c.modes), c.at);
    let m = emptyMetrics("t1", "2026-03-02");
    m = apply(m, cycle({ modes: { a: "ACTIVE", b: "REDUCED" }, at: "t1" }));
    expect(m.sharpe_decay_events).toBe(0); // nothing to compare with yet
    m = apply(m, cycle({ modes: { a: "REDUCED", b: "REDUCED", c: "SHADOW_MODE" }, at: "t2" }));
    expect(m.sharpe_decay_events).toBe(1);
    expect(m.decay_log).toEqual([{ strategy_id: "a", from: "ACTIVE", to: "REDUCED", at: "t2" }]);
    expect(m.modes_latest).toEqual({ a: "REDUCED", b: "REDUCED", c: "SHADOW_MODE" });
  });
});

describe("DailyMetricsSchema", () => {
  const EMPTY: DailyMetrics = {
    tenant_id: "t1",
    day: "2026-03-02",
    cycles: 0,
    latency_ms: { histogram: {}, count: 0, sum: 0, max: 0, p50: null, p95: null },
    systemic_overrides: 0,
    signals_overridden: 0,
    signals_orchestrated: 0,
    signals_rejected: 0,
    modes: { ACTIVE: 0, REDUCED: 0, SHADOW_MODE: 0, DISABLED: 0 },
    modes_latest: {},
    sharpe_decay_events: 0,
    decay_log: [],
    nonce_collisions: 0,
    nonce_findings: 0,
    summaries: { gemini: 0, written: 0 },
    updated_at: "",
  };

  test("parse({ tenant_id, day }) is the empty document, and emptyMetrics is the same", () => {
    expect(DailyMetricsSchema.parse({ tenant_id: "t1", day: "2026-03-02" })).toEqual(EMPTY);
    expect(emptyMetrics("t1", "2026-03-02")).toEqual(EMPTY);
  });

  test("two empty documents share no object (a default is never a shared instance)", () => {
    const a = emptyMetrics("t1", "2026-03-02");
    const b = emptyMetrics("t1", "2026-03-02");
    expectNoSharedObjects(a, b);
  });

  test("a partial nested object keeps the defaults of what it leaves out", () => {
    const m = DailyMetricsSchema.parse({ tenant_id: "t1", day: "2026-03-02", modes: { REDUCED: 2 }, latency_ms: { count: 0 } });
    expect(m.modes).toEqual({ ACTIVE: 0, REDUCED: 2, SHADOW_MODE: 0, DISABLED: 0 });
    expect(m.latency_ms).toEqual(EMPTY.latency_ms);
  });

  test("what the functions write parses back unchanged", () => {
    let m = withLatencies([30, 60, 60, 120, 900, 20000]);
    m = recordCycle(m, cycle({ systemic_override: true, signals_overridden: 1, modes: { a: "ACTIVE" }, summary_source: "gemini" }));
    m = recordDecay(m, [{ strategy_id: "a", from: "ACTIVE", to: "SHADOW_MODE" }], AT);
    m = recordNonceFinding(m, "collision", AT);
    expect(DailyMetricsSchema.parse(structuredClone(m))).toEqual(m);
  });

  test("rejects a malformed day, a negative or fractional count, an unknown mode and a decay_log over 50", () => {
    const base = { tenant_id: "t1", day: "2026-03-02" };
    expect(() => emptyMetrics("t1", "2026-3-2")).toThrow();
    expect(parseWithReason(DailyMetricsSchema, { ...base, day: "03/02/2026" })).toEqual({
      ok: false,
      reason: 'day: must be a date written YYYY-MM-DD (got "03/02/2026")',
    });
    expect(parseWithReason(DailyMetricsSchema, { ...base, cycles: -1 })).toMatchObject({ ok: false, reason: expect.stringContaining("cycles: must not be negative") });
    expect(parseWithReason(DailyMetricsSchema, { ...base, latency_ms: { histogram: { "50": 1.5 } } })).toMatchObject({ ok: false, reason: expect.stringContaining("latency_ms.histogram.50") });
    expect(DailyMetricsSchema.safeParse({ ...base, modes_latest: { a: "PAUSED" } }).success).toBe(false);
    const event = { strategy_id: "a", from: "ACTIVE", to: "REDUCED", at: AT };
    expect(DailyMetricsSchema.safeParse({ ...base, decay_log: Array(50).fill(event) }).success).toBe(true);
    expect(DailyMetricsSchema.safeParse({ ...base, decay_log: Array(51).fill(event) }).success).toBe(false);
  });
});
