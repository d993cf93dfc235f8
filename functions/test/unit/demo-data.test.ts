/**
 * The demo dataset lands where it says it does: through the real core (FIFO rollup →
 * daily returns → computeStrategyWeights with the default config) every strategy gets its
 * intended mode, and the demo signals trip the systemic risk override. The FIFO rows are
 * also checked against a cash-flow identity that does not use lots, and each Sharpe
 * against the DESIGN.md formula written out here independently.
 */
import { computeStrategyWeights, type StrategyPerformanceInput } from "../../src/core/allocation";
import { dailyReturns, rollupStrategyDays, type DailyRollup, type FifoTrade } from "../../src/core/fifo";
import { orchestrateCycle } from "../../src/core/orchestrate";
import {
  DEFAULT_CONFIG,
  LedgerTradeSchema,
  MaestroConfigSchema,
  RawSignalSchema,
  StrategySchema,
  TenantSchema,
  describeIssues,
  type StrategyWeight,
} from "../../src/schemas";
import { DEMO_TENANT_ID, SECOND_TENANT_ID, buildDemoDataset, type DemoDataset } from "../../src/tools/demo-data";

const dataset = buildDemoDataset();
const MALFORMED_SIGNALS = ["sig_010", "sig_011"];

function marksOf(ds: DemoDataset, tenant: string): Map<string, Record<string, number>> {
  return new Map(Object.entries(ds.dailyMarks[tenant]).map(([day, m]) => [day, m.prices]));
}

function tradesOf(ds: DemoDataset, tenant: string, strategyId: string): FifoTrade[] {
  return Object.entries(ds.ledgerTrades[tenant])
    .filter(([, t]) => t.strategy_id === strategyId)
    .map(([id, t]) => ({ id, ...LedgerTradeSchema.parse(t) }));
}

function rollup(ds: DemoDataset, tenant: string): Record<string, DailyRollup[]> {
  const marks = marksOf(ds, tenant);
  return Object.fromEntries(Object.keys(ds.strategies[tenant]).map((id) => [id, rollupStrategyDays(tradesOf(ds, tenant, id), marks)]));
}

/** What the weights stage does: the last lookback_days rows → returns → weights. */
function weightsOf(ds: DemoDataset, tenant: string): Record<string, StrategyWeight> {
  const rows = rollup(ds, tenant);
  const inputs: StrategyPerformanceInput[] = Object.entries(ds.strategies[tenant]).map(([id, doc]) => {
    const last = rows[id].slice(-DEFAULT_CONFIG.lookback_days);
    return {
      strategy_id: id,
      strategy: StrategySchema.parse(doc),
      daily_returns: dailyReturns(last, doc.capital_base),
      period_start: last.length ? last[0].trading_day : null,
      period_end: last.length ? last[last.length - 1].trading_day : null,
    };
  });
  return computeStrategyWeights(inputs, DEFAULT_CONFIG);
}

/** DESIGN.md: √252 · (mean − rf/252) / population std, written out without the core. */
function sharpeByHand(returns: number[]): number {
  const n = returns.length;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return (Math.sqrt(252) * (mean - 0.04 / 252)) / sd;
}

const demoRows = rollup(dataset, DEMO_TENANT_ID);
const demoWeights = weightsOf(dataset, DEMO_TENANT_ID);
const demoStrategies = dataset.strategies[DEMO_TENANT_ID];

describe("demo dataset: strategies and modes", () => {
  it("has at least six demo strategies, every one with an intended mode", () => {
    const ids = Object.keys(demoStrategies).sort();
    expect(ids.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(dataset.intendedModes).sort()).toEqual(ids);
    for (const doc of Object.values(demoStrategies)) expect(StrategySchema.safeParse(doc).success).toBe(true);
  });

  it("intends every mode, and one strategy with too little data", () => {
    const intended = new Set(Object.values(dataset.intendedModes));
    for (const mode of ["ACTIVE", "REDUCED", "SHADOW_MODE", "DISABLED"] as const) expect(intended.has(mode)).toBe(true);
    const thin = Object.values(demoWeights).filter((w) => w.data_points < DEFAULT_CONFIG.min_data_points);
    expect(thin).toHaveLength(1);
    expect(thin[0].data_points).toBe(3);
    expect(thin[0].mode).toBe(DEFAULT_CONFIG.insufficient_data_mode);
    expect(thin[0].reasoning).toContain("insufficient_data_mode");
    expect(thin[0].reasoning).toContain("Only 3 of the 5 daily returns");
  });

  it("lands every strategy in its intended mode through the real core", () => {
    const landed = Object.fromEntries(Object.entries(demoWeights).map(([id, w]) => [id, w.mode]));
    expect(landed).toEqual(dataset.intendedModes);
  });

  it("keeps each Sharpe well inside its band, and the core's Sharpe matches the formula", () => {
    const { sharpe_threshold_shadow: shadow, sharpe_threshold_reduce: reduce } = DEFAULT_CONFIG;
    for (const [id, w] of Object.entries(demoWeights)) {
      const returns = dailyReturns(demoRows[id].slice(-30), demoStrategies[id].capital_base);
      if (w.data_points >= 5) expect(w.sharpe_ratio).toBeCloseTo(sharpeByHand(returns), 9);
      if (demoStrategies[id].manual_mode === "DISABLED" || w.data_points < 5) continue;
      if (w.mode === "ACTIVE") expect(w.sharpe_ratio).toBeGreaterThan(reduce + 0.5);
      if (w.mode === "REDUCED") {
        expect(w.sharpe_ratio).toBeGreaterThan(shadow + 0.15);
        expect(w.sharpe_ratio).toBeLessThan(reduce - 0.15);
      }
      if (w.mode === "SHADOW_MODE") expect(w.sharpe_ratio).toBeLessThan(0);
    }
    expect(Object.values(demoWeights).filter((w) => w.mode === "ACTIVE" && w.data_points >= 30)).toHaveLength(2);
  });

  it("gives the DISABLED strategy trades of its own, and a weight of 0", () => {
    for (const [id, mode] of Object.entries(dataset.intendedModes)) {
      expect(tradesOf(dataset, DEMO_TENANT_ID, id).length).toBeGreaterThan(0);
      if (mode !== "DISABLED") continue;
      expect(demoStrategies[id].manual_mode).toBe("DISABLED");
      expect(demoWeights[id].weight).toBe(0);
      expect(demoWeights[id].data_points).toBe(30);
    }
  });

  it("has the SHADOW strategy lose from its first day, so its drawdown is below 0", () => {
    const shadowIds = Object.keys(demoWeights).filter((id) => dataset.intendedModes[id] === "SHADOW_MODE");
    expect(shadowIds.length).toBeGreaterThan(0);
    for (const id of shadowIds) {
      const rows = demoRows[id];
      // Its whole history is the Sharpe window, and the first day of it is a loss.
      expect(rows).toHaveLength(30);
      expect(rows[0].daily_pnl).toBeLessThan(0);
      expect(demoWeights[id].max_drawdown).toBeLessThanOrEqual(rows[0].daily_pnl / demoStrategies[id].capital_base + 1e-12);
      expect(demoWeights[id].max_drawdown).toBeLessThan(0);
      expect(demoWeights[id].weight).toBe(0);
    }
  });
});

describe("demo dataset: ledger and marks", () => {
  const marks = dataset.dailyMarks[DEMO_TENANT_ID];
  const trades = Object.values(dataset.ledgerTrades[DEMO_TENANT_ID]);

  it("covers at least 40 weekdays of marks and of trades", () => {
    const markDays = Object.keys(marks);
    const tradeDays = new Set(trades.map((t) => t.executed_at.slice(0, 10)));
    expect(markDays.length).toBeGreaterThanOrEqual(40);
    expect(tradeDays.size).toBeGreaterThanOrEqual(40);
    for (const day of [...markDays, ...tradeDays]) {
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      expect(weekday).not.toBe(0);
      expect(weekday).not.toBe(6);
    }
    expect([...tradeDays].every((d) => Object.hasOwn(marks, d))).toBe(true);
  });

  it("parses every ledger trade and mark of both tenants", () => {
    for (const tenant of [DEMO_TENANT_ID, SECOND_TENANT_ID]) {
      for (const [id, t] of Object.entries(dataset.ledgerTrades[tenant])) {
        const parsed = LedgerTradeSchema.safeParse(t);
        expect({ id, ok: parsed.success }).toEqual({ id, ok: true });
        expect(Object.hasOwn(dataset.strategies[tenant], t.strategy_id)).toBe(true);
        expect(id).toMatch(/^t_[a-z_]+_\d{4}-\d{2}-\d{2}_\d{2}$/);
      }
      for (const m of Object.values(dataset.dailyMarks[tenant])) {
        for (const price of Object.values(m.prices)) expect(price).toBeGreaterThan(0);
      }
    }
  });

  it("trades inside US market hours, in whole shares, at cents, with $0.005/share (min $1) fees", () => {
    for (const t of trades) {
      const time = t.executed_at.slice(11, 19);
      expect(time >= "14:30:00" && time <= "21:00:00").toBe(true);
      expect(Number.isInteger(t.quantity)).toBe(true);
      expect(Math.round(t.price * 100) / 100).toBe(t.price);
      expect(t.fee).toBeCloseTo(Math.max(1, 0.005 * t.quantity), 2);
    }
  });

  it("exercises FIFO: multi-day holds, partial closes, a short covered later, positions open at the end", () => {
    const heldOvernight = Object.values(demoRows).flatMap((rows) => rows.flatMap((r) => Object.values(r.positions)));
    expect(heldOvernight.some((p) => p.quantity > 0)).toBe(true);
    expect(heldOvernight.some((p) => p.quantity < 0)).toBe(true);
    // A short held overnight and covered on a later day.
    const covered = Object.values(demoRows).some((rows) =>
      rows.some((r, i) => Object.entries(r.positions).some(([s, p]) => p.quantity < 0 && rows.slice(i + 1).some((later) => !(s in later.positions)))),
    );
    expect(covered).toBe(true);
    expect(Object.values(demoRows).some((rows) => rows[rows.length - 1].unrealized_pnl !== 0)).toBe(true);
    // A partial close: a position that shrinks without closing.
    const partial = Object.values(demoRows).some((rows) =>
      rows.some((r, i) => i > 0 && Object.entries(r.positions).some(([s, p]) => {
        const before = rows[i - 1].positions[s];
        return before !== undefined && Math.sign(before.quantity) === Math.sign(p.quantity) && Math.abs(p.quantity) < Math.abs(before.quantity);
      })),
    );
    expect(partial).toBe(true);
  });

  it("has FIFO daily P&L equal to cash flow plus the change in marked value (no lots involved)", () => {
    const markDays = Object.keys(marks).sort();
    for (const id of Object.keys(demoStrategies)) {
      const byDay = new Map<string, FifoTrade[]>();
      for (const t of tradesOf(dataset, DEMO_TENANT_ID, id)) {
        const day = t.executed_at.toISOString().slice(0, 10);
        byDay.set(day, [...(byDay.get(day) ?? []), t]);
      }
      const held = new Map<string, number>();
      let valueBefore = 0;
      const rows = new Map(demoRows[id].map((r) => [r.trading_day, r]));
      const first = [...byDay.keys()].sort()[0];
      for (const day of markDays.filter((d) => d >= first)) {
        let cash = 0;
        for (const t of byDay.get(day) ?? []) {
          const signed = t.side === "BUY" ? t.quantity : -t.quantity;
          cash += -signed * t.price - t.fee;
          held.set(t.symbol, (held.get(t.symbol) ?? 0) + signed);
        }
        let value = 0;
        for (const [symbol, q] of held) value += q * marks[day].prices[symbol];
        expect(rows.get(day)!.daily_pnl).toBeCloseTo(cash + value - valueBefore, 4);
        valueBefore = value;
      }
    }
  });
});

describe("demo dataset: signals", () => {
  const signals = dataset.signals[DEMO_TENANT_ID];

  it("parses every signal except the two malformed ones, which name the field", () => {
    for (const tenant of [DEMO_TENANT_ID, SECOND_TENANT_ID]) {
      for (const [id, s] of Object.entries(dataset.signals[tenant])) {
        const parsed = RawSignalSchema.safeParse(s);
        const malformed = tenant === DEMO_TENANT_ID && MALFORMED_SIGNALS.includes(id);
        expect({ tenant, id, ok: parsed.success }).toEqual({ tenant, id, ok: !malformed });
        if (!parsed.success) expect(describeIssues(parsed.error, s)).toMatch(id === "sig_010" ? /^action: / : /^allocation: .*\(got 5\)/);
      }
    }
  });

  it("trips the systemic risk override when orchestrated with the demo weights", () => {
    let n = 0;
    const result = orchestrateCycle({
      tenant_id: DEMO_TENANT_ID,
      session_id: "maestro_1795651200000_0123456789abcdef",
      now: new Date("2026-11-23T14:30:00.000Z"),
      config: DEFAULT_CONFIG,
      strategies: Object.fromEntries(Object.entries(demoStrategies).map(([id, s]) => [id, StrategySchema.parse(s)])),
      weights: demoWeights,
      signals: Object.entries(signals).map(([id, data]) => ({ id, data })),
      issueNonce: () => (++n).toString(16).padStart(32, "0"),
    });

    expect(result.systemic_risk.detected).toBe(true);
    expect(result.systemic_risk.sell_count).toBeGreaterThanOrEqual(3);
    // Only tradable strategies count: the DISABLED strategy's SELL does not.
    for (const id of result.systemic_risk.selling_strategies) expect(["ACTIVE", "REDUCED"]).toContain(demoWeights[id].mode);
    const disabledSellers = Object.values(signals).filter((s) => s.action === "SELL" && dataset.intendedModes[s.strategy_id] === "DISABLED");
    expect(disabledSellers.length).toBeGreaterThan(0);

    const overridden = result.signals.filter((s) => s.original_action === "BUY");
    expect(overridden.every((s) => s.action === "HOLD" && s.confidence === 0)).toBe(true);
    const tradableOverridden = overridden.filter((s) => s.mode === "ACTIVE" || s.mode === "REDUCED");
    expect(new Set(tradableOverridden.map((s) => s.strategy_id)).size).toBeGreaterThanOrEqual(2);
    expect(overridden.some((s) => s.mode === "SHADOW_MODE")).toBe(true);
    expect(result.signals.some((s) => s.mode === "DISABLED")).toBe(true);
    expect(result.signals.some((s) => s.action === "HOLD" && s.original_action === undefined)).toBe(true);

    expect(result.rejected_signals.map((r) => r.signal_id)).toEqual(MALFORMED_SIGNALS);
    expect(result.rejected_signals[0].reason).toMatch(/^action: /);
    expect(result.rejected_signals[1].reason).toMatch(/^allocation: /);
    expect(result.signals).toHaveLength(Object.keys(signals).length - 2);
  });
});

describe("demo dataset: tenants and determinism", () => {
  it("has a small second tenant with its own strategies, trades, marks and signals", () => {
    expect(Object.keys(dataset.tenants).sort()).toEqual([DEMO_TENANT_ID, SECOND_TENANT_ID].sort());
    for (const t of Object.values(dataset.tenants)) expect(TenantSchema.parse(t).active).toBe(true);
    expect(dataset.tenants[SECOND_TENANT_ID].name).toBe("Other Desk");
    expect(Object.keys(dataset.strategies[SECOND_TENANT_ID])).toHaveLength(2);
    for (const id of Object.keys(dataset.strategies[SECOND_TENANT_ID])) expect(Object.hasOwn(demoStrategies, id)).toBe(false);
    const markDays = Object.keys(dataset.dailyMarks[SECOND_TENANT_ID]);
    expect(markDays.length).toBeGreaterThanOrEqual(5);
    expect(markDays.length).toBeLessThanOrEqual(15);
    expect(Object.keys(dataset.signals[SECOND_TENANT_ID]).length).toBeGreaterThanOrEqual(1);
    for (const w of Object.values(weightsOf(dataset, SECOND_TENANT_ID))) expect(w.data_points).toBe(markDays.length);
  });

  it("uses the default config but for around-the-clock hours on New York days (the demo runs at any hour), which parses", () => {
    for (const tenant of Object.keys(dataset.tenants)) {
      const parsed = MaestroConfigSchema.parse(dataset.config[tenant]);
      expect(parsed).toEqual({ ...DEFAULT_CONFIG, market_hours: { time_zone: "America/New_York", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] } });
    }
  });

  it("is deterministic", () => {
    expect(buildDemoDataset()).toEqual(dataset);
  });
});
