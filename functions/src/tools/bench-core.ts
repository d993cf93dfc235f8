/**
 * Benchmarks of the pure domain core (no Firebase, no emulator): one orchestration cycle,
 * the FIFO rollup and the weight calculation. Every input is built from a seeded PRNG
 * before the clock starts, so two runs on one machine time the same work.
 *
 * The printer (`formatBenchTable`) is exported for the emulator benchmark to print its
 * figures in the same layout.
 */
import * as os from "node:os";
import { computeStrategyWeights, type StrategyPerformanceInput } from "../core/allocation";
import { computeAllocation } from "../core/portfolio-allocation";
import { routeMessage, type Intent } from "../core/intent-router";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rollupStrategyDays, type FifoTrade } from "../core/fifo";
import { issueNonce } from "../core/identity";
import { orchestrateCycle, type CycleInput } from "../core/orchestrate";
import { EMPTY_SESSION_RISK } from "../core/session-guardian";
import { TRADABLE_MODES } from "../core/systemic-risk";
import { DEFAULT_CONFIG, MaestroConfigSchema, type MaestroConfig, type SignalAction, type Strategy, type StrategyWeight } from "../schemas";
import { seededRandom } from "../core/seeded-random";
import { onResponse, startRun, storedRun } from "../core/agent-workflow";
import {
  DEFAULT_AGENTS_CONFIG,
  MAX_RESPONSE_PAYLOAD_CHARS,
  MAX_WORKFLOW_TASKS,
  RESPONSES_KEPT,
  WorkflowSchema,
  type TaskMessage,
  type TaskResponse,
  type WorkflowRun,
} from "../schemas/agents";

// ---------------------------------------------------------------------------
// Result shape
// ---------------------------------------------------------------------------

export interface TimingSummary {
  runs: number;
  median_ms: number;
  p95_ms: number;
  min_ms: number;
  max_ms: number;
}

export interface OrchestrationBench extends TimingSummary {
  strategies: number;
  signals_per_cycle: number;
  /** Distinct signal batches the timed runs rotate through. */
  batches: number;
  /** Timed runs in which the systemic risk override fired. */
  override_runs: number;
  /** Modes of the precomputed weights, e.g. { ACTIVE: 8, REDUCED: 5, ... }. */
  modes: Record<string, number>;
}

export interface FifoBench extends TimingSummary {
  trades: number;
  symbols: number;
  trading_days: number;
  trades_per_second: number;
}

export interface WeightsBench extends TimingSummary {
  strategies: number;
  returns_per_strategy: number;
}

export interface RiskParityBench extends TimingSummary {
  strategies: number;
  days: number;
  iterations: number | null;
  fallback: string | null;
}

/** The issue-12 budgets for the risk parity weights (printed, not asserted). */
export const RISK_PARITY_TARGETS_MS: Record<number, number> = { 20: 5, 200: 200 };

export interface RouterBench {
  utterances: number;
  median_ms: number;
  p99_ms: number;
  /** Share of the labelled set (test/fixtures/router-labelled.json) routed to its label. */
  accuracy: number;
  labelled: number;
}

/** Seed 002's budget for routing one message (printed, not asserted). */
export const ROUTER_P99_TARGET_MS = 50;

export interface AgentWorkflowBench {
  tasks: number;
  /** One answer applied to a run of `tasks` tasks (onResponse: clone, apply, release), median and p95. */
  response_median_ms: number;
  response_p95_ms: number;
  /** The run as stored (with its metrics and states) after every task answered once: typical bytes. */
  typical_bytes: number;
  /** The worst case the limits allow: 50 tasks with 128-character ids, 11 attempts each answered with the largest payload, duplicates past the kept ten, 10 strays. */
  worst_bytes: number;
}

export interface CoreBenchResult {
  machine: { cpu_model: string; cpu_count: number; node_version: string; platform: string };
  /** Median the 20 × 20 cycle is compared with (a project latency budget, printed, not asserted). */
  orchestration_target_ms: number;
  orchestration_small: OrchestrationBench;
  orchestration_large: OrchestrationBench;
  /** The same with every step, issue 12's arbitration and portfolio risk included. */
  orchestration_all_small: OrchestrationBench;
  orchestration_all_large: OrchestrationBench;
  fifo: FifoBench;
  weights: WeightsBench;
  risk_parity: RiskParityBench[];
  router: RouterBench;
  agents: AgentWorkflowBench;
}

export const ORCHESTRATION_TARGET_MS = 1;

// ---------------------------------------------------------------------------
// Deterministic inputs
// ---------------------------------------------------------------------------


/** Standard normal by Box–Muller. */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function intBelow(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = intBelow(random, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Strategies whose 30 daily returns land in every tier: a daily Sharpe well above, near
 * and below the thresholds, a few with fewer than min_data_points days, and one in
 * twenty switched off by hand.
 */
function buildStrategyInputs(count: number, days: number, random: () => number): StrategyPerformanceInput[] {
  const inputs: StrategyPerformanceInput[] = [];
  // Annualised Sharpe targets: ACTIVE, REDUCED, SHADOW_MODE, losing (SHADOW_MODE too).
  const targetSharpes = [2.5, 0.75, 0.2, -1.0];
  for (let i = 0; i < count; i++) {
    const id = `strat_${pad(i, 4)}`;
    const strategy: Strategy = {
      name: `Strategy ${i}`,
      enabled: true,
      capital_base: 100_000,
      manual_mode: i % 20 === 19 ? "DISABLED" : null,
    };
    const sigma = 0.005 + 0.015 * random();
    const sharpe = targetSharpes[i % targetSharpes.length];
    const mu = DEFAULT_CONFIG.risk_free_rate / 252 + (sharpe * sigma) / Math.sqrt(252);
    const n = i % 17 === 16 ? 3 : days; // some strategies too new to be judged
    // Draws rescaled to mean 0 and population std 1, so the sample Sharpe is the target
    // and the tier is the intended one (30 raw draws would scatter Sharpe by about ±3).
    const z = Array.from({ length: n }, () => normal(random));
    const zMean = z.reduce((a, b) => a + b, 0) / n;
    const zStd = Math.sqrt(z.reduce((a, b) => a + (b - zMean) ** 2, 0) / n);
    const daily_returns = z.map((v) => mu + (sigma * (v - zMean)) / zStd);
    inputs.push({ strategy_id: id, strategy, daily_returns, period_start: "2025-01-01T00:00:00.000Z", period_end: "2025-02-12T00:00:00.000Z" });
  }
  return inputs;
}

interface OrchestrationFixture {
  cycles: CycleInput[];
  /** Whether the systemic override must fire for cycles[i]. */
  expectOverride: boolean[];
  modes: Record<string, number>;
}

/**
 * `batches` signal batches of one signal per strategy, half of them with at least
 * systemic_sell_threshold tradable SELLs (override fires) and half with fewer (it must
 * not). Weights are computed here, outside any timed region.
 */
function buildOrchestrationFixture(strategyCount: number, batches: number, seed: number, everyStep = false): OrchestrationFixture {
  const random = seededRandom(seed);
  // The default steps (weights, systemic override, risk guardian, buying power), with the
  // session's order limits checked on every entry but set high enough not to end the work
  // early; `everyStep` adds issue 12's arbitration and portfolio risk.
  const config: MaestroConfig = MaestroConfigSchema.parse({
    risk: { max_trades_per_session: 1_000_000, max_orders_per_minute: 1_000_000 },
    ...(everyStep ? { cycle_steps: ["weights", "systemic_override", "arbitration", "risk_guardian", "portfolio_risk", "buying_power"] } : {}),
  });
  const inputs = buildStrategyInputs(strategyCount, config.lookback_days, random);
  const strategies: Record<string, Strategy> = {};
  for (const input of inputs) strategies[input.strategy_id] = input.strategy;
  const weights: Record<string, StrategyWeight> = computeStrategyWeights(inputs, config);

  const modes: Record<string, number> = {};
  for (const w of Object.values(weights)) modes[w.mode] = (modes[w.mode] ?? 0) + 1;
  const tradable = inputs.map((input) => TRADABLE_MODES.has(weights[input.strategy_id].mode));
  const tradableCount = tradable.filter(Boolean).length;
  const threshold = config.systemic_sell_threshold;
  if (tradableCount < threshold) {
    throw new Error(`benchmark fixture: only ${tradableCount} tradable strategies, the override needs ${threshold}`);
  }

  const tickers = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM", "XOM", "SPY"];
  const now = new Date("2025-02-12T14:30:00.000Z");
  const cycles: CycleInput[] = [];
  const expectOverride: boolean[] = [];
  const positions: Record<string, Record<string, number>> = {};
  inputs.forEach((input, i) => {
    if (i % 3 === 0) positions[input.strategy_id] = { [tickers[i % tickers.length]]: i % 2 === 0 ? 100 : -100 };
  });
  const closedTrades = Array.from({ length: 20 }, (_, i) => ({ at: new Date(now.getTime() - (20 - i) * 60_000).toISOString(), pnl: i % 3 === 0 ? 50 : -20 }));
  for (let b = 0; b < batches; b++) {
    const override = b % 2 === 0;
    // Override batches: about a quarter of the tradable strategies sell (never fewer than
    // the threshold). Calm batches: at most threshold − 1 tradable sellers.
    const sellQuota = override ? Math.max(threshold, Math.ceil(tradableCount / 4)) : intBelow(random, threshold);
    const tradableIndexes = inputs.map((_, i) => i).filter((i) => tradable[i]);
    const sellers = new Set(shuffled(tradableIndexes, random).slice(0, sellQuota));
    const signals = inputs.map((input, i) => {
      const roll = random();
      let action: SignalAction;
      if (sellers.has(i)) action = "SELL";
      else if (!tradable[i] && roll < 0.3) action = "SELL"; // a paper or disabled SELL counts for nothing
      else action = roll < 0.75 ? "BUY" : "HOLD";
      return {
        id: `sig_${pad(b, 2)}_${pad(i, 4)}`,
        data: {
          strategy_id: input.strategy_id,
          action,
          ticker: tickers[intBelow(random, tickers.length)],
          allocation: Math.round(random() * 100) / 100,
          confidence: Math.round(random() * 100) / 100,
          reasoning: `Benchmark signal ${b}/${i}: momentum crossover on the daily close.`,
          status: "pending",
        },
      };
    });
    cycles.push({
      tenant_id: "bench_tenant",
      session_id: `maestro_${now.getTime()}_${pad(b, 16)}`,
      now,
      config,
      strategies,
      weights,
      signals: shuffled(signals, random), // Firestore's order is not the signal-id order
      issueNonce: () => issueNonce(),
      // Every step at work: the guardian measures each entry against equity and the session's
      // limits, the buying-power guard caps the BUYs, a third of the strategies hold positions
      // (so some signals are exits), and the session has closed trades to count losses in.
      equity: { value: 2_000_000 * strategyCount, source: "bench snapshot" },
      buyingPower: { available: 15_000 * strategyCount, source: "bench snapshot" },
      positions,
      // Every step: one strategy in five correlated (ρ 0.8) with the next, for the redundancy filter and the correlation factor.
      ...(everyStep ? { marks: { prices: Object.fromEntries(tickers.map((t, k) => [t, 50 + 25 * k])), source: "bench marks" } } : {}),
      ...(everyStep ? { correlatedPairs: inputs.filter((_, i) => i % 5 === 0 && i + 1 < inputs.length).map((x, k) => ({ a: x.strategy_id, b: inputs[k * 5 + 1].strategy_id, rho: 0.8 })) } : {}),
      session: {
        state: "ACTIVE_TRADING",
        paused_reason: null,
        risk: { ...EMPTY_SESSION_RISK, starting_equity: 2_000_000 * strategyCount, high_water_equity: 2_010_000 * strategyCount, last_equity: 2_000_000 * strategyCount, trades: 3 },
        closed_trades: closedTrades,
        trading_since: new Date(now.getTime() - 3_600_000).toISOString(),
        closes_at: new Date(now.getTime() + 5 * 3_600_000).toISOString(),
        equity_as_of: now.toISOString(),
      },
    });
    expectOverride.push(override);
  }
  return { cycles, expectOverride, modes };
}

/**
 * One strategy's ledger: `tradeCount` trades over `days` weekdays on `symbols` symbols.
 * About half the trades work against the open position: mostly partial closes (10–90 %),
 * one in eight overshooting so the position flips between long and short.
 */
function buildLedger(tradeCount: number, symbols: number, days: number, seed: number) {
  const random = seededRandom(seed);
  const tradingDays: string[] = [];
  for (let d = new Date("2024-01-02T00:00:00.000Z"); tradingDays.length < days; d = new Date(d.getTime() + 86_400_000)) {
    const weekday = d.getUTCDay();
    if (weekday !== 0 && weekday !== 6) tradingDays.push(d.toISOString().slice(0, 10));
  }
  const names = Array.from({ length: symbols }, (_, i) => `SYM${pad(i, 2)}`);
  const close = names.map(() => 20 + 480 * random());
  const position = names.map(() => 0);
  const trades: FifoTrade[] = [];
  const marks = new Map<string, Record<string, number>>();

  for (let d = 0; d < days; d++) {
    const dayStart = Date.parse(`${tradingDays[d]}T13:30:00.000Z`);
    const perDay = Math.floor(tradeCount / days) + (d < tradeCount % days ? 1 : 0);
    const times = Array.from({ length: perDay }, () => dayStart + intBelow(random, 23_400_000)).sort((a, b) => a - b);
    for (const time of times) {
      const s = intBelow(random, symbols);
      const price = Math.round(close[s] * (1 + 0.004 * normal(random)) * 100) / 100;
      let side: "BUY" | "SELL";
      let quantity: number;
      if (position[s] !== 0 && random() < 0.5) {
        side = position[s] > 0 ? "SELL" : "BUY";
        const open = Math.abs(position[s]);
        quantity = random() < 0.125 ? open + 1 + intBelow(random, 100) : Math.max(1, Math.round(open * (0.1 + 0.8 * random())));
      } else {
        side = random() < 0.5 ? "BUY" : "SELL";
        quantity = 1 + intBelow(random, 200);
      }
      position[s] += side === "BUY" ? quantity : -quantity;
      trades.push({
        id: `t${pad(trades.length, 6)}`,
        symbol: names[s],
        side,
        quantity,
        price,
        fee: Math.round(quantity * price * 0.0005 * 100) / 100,
        executed_at: new Date(time),
      });
    }
    const prices: Record<string, number> = {};
    for (let s = 0; s < symbols; s++) {
      close[s] = Math.max(1, close[s] * (1 + 0.02 * normal(random)));
      prices[names[s]] = Math.round(close[s] * 100) / 100;
    }
    marks.set(tradingDays[d], prices);
  }
  return { trades, marks };
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(samplesMs: readonly number[]): TimingSummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { runs: sorted.length, median_ms: median(sorted), p95_ms: percentile(sorted, 0.95), min_ms: sorted[0], max_ms: sorted[sorted.length - 1] };
}

/**
 * Runs `work(i)` `warmup` times untimed, then `runs` times each timed alone; `check`
 * inspects each result outside the timed window (so the JIT cannot drop the work, and a
 * wrong result fails the benchmark instead of timing it).
 */
function timeRuns<T>(
  warmup: number,
  runs: number,
  work: (i: number) => T,
  check: (result: T, i: number, timed: boolean) => void,
): number[] {
  for (let i = 0; i < warmup; i++) check(work(i), i, false);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = work(i);
    const end = process.hrtime.bigint();
    samples.push(Number(end - start) / 1e6);
    check(result, i, true);
  }
  return samples;
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

function benchOrchestration(strategyCount: number, warmup: number, runs: number, seed: number, everyStep = false): OrchestrationBench {
  const batches = 4;
  const fixture = buildOrchestrationFixture(strategyCount, batches, seed, everyStep);
  let overrideRuns = 0;
  const samples = timeRuns(
    warmup,
    runs,
    (i) => orchestrateCycle(fixture.cycles[i % batches]),
    (result, i, timed) => {
      const expected = fixture.expectOverride[i % batches];
      if (result.signals.length !== strategyCount || result.rejected_signals.length !== 0) {
        throw new Error(`orchestration benchmark: ${result.signals.length} signals, ${result.rejected_signals.length} rejected`);
      }
      if (result.systemic_risk.detected !== expected) {
        throw new Error(`orchestration benchmark: override ${result.systemic_risk.detected}, expected ${expected}`);
      }
      if (timed && result.systemic_risk.detected) overrideRuns++;
    },
  );
  return {
    ...summarise(samples),
    strategies: strategyCount,
    signals_per_cycle: strategyCount,
    batches,
    override_runs: overrideRuns,
    modes: fixture.modes,
  };
}

function benchFifo(tradeCount: number, symbols: number, days: number, runs: number): FifoBench {
  const { trades, marks } = buildLedger(tradeCount, symbols, days, 0xf1f0);
  const samples = timeRuns(
    1,
    runs,
    () => rollupStrategyDays(trades, marks),
    (rows) => {
      const counted = rows.reduce((sum, row) => sum + row.trade_count, 0);
      if (rows.length !== days || counted !== tradeCount) {
        throw new Error(`FIFO benchmark: ${rows.length} rows and ${counted} trades, expected ${days} and ${tradeCount}`);
      }
    },
  );
  const summary = summarise(samples);
  return { ...summary, trades: tradeCount, symbols, trading_days: days, trades_per_second: tradeCount / (summary.median_ms / 1000) };
}

function benchWeights(strategyCount: number, days: number, warmup: number, runs: number): WeightsBench {
  const inputs = buildStrategyInputs(strategyCount, days, seededRandom(0x5eed));
  const samples = timeRuns(
    warmup,
    runs,
    () => computeStrategyWeights(inputs, DEFAULT_CONFIG),
    (weights) => {
      if (Object.keys(weights).length !== strategyCount) throw new Error("weights benchmark: a strategy is missing");
    },
  );
  return { ...summarise(samples), strategies: strategyCount, returns_per_strategy: days };
}

/**
 * The tenant's weights under risk_parity (modes, aligned returns, covariance, the Newton
 * solve, clamps, signal weights): `strategyCount` strategies with `days` returns each,
 * every one eligible (thresholds low), independent draws so the covariance is full rank.
 */
function benchRiskParity(strategyCount: number, days: number, warmup: number, runs: number): RiskParityBench {
  const random = seededRandom(0x7a11 + strategyCount);
  const dayNames = Array.from({ length: days }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));
  const inputs: StrategyPerformanceInput[] = Array.from({ length: strategyCount }, (_, i) => {
    const sigma = 0.005 + 0.02 * random();
    const returns = dayNames.map(() => 0.0005 + sigma * normal(random));
    return {
      strategy_id: `strat_${pad(i, 4)}`,
      strategy: { name: `Strategy ${i}`, enabled: true, capital_base: 100_000, manual_mode: null },
      daily_returns: returns.slice(-DEFAULT_CONFIG.lookback_days),
      returns_by_day: Object.fromEntries(dayNames.map((d, k) => [d, returns[k]])),
      period_start: null,
      period_end: null,
    };
  });
  const config = MaestroConfigSchema.parse({ sharpe_threshold_shadow: -1_000, sharpe_threshold_reduce: -999, allocation: { method: "risk_parity", lookback_days: days } });
  const now = new Date("2025-06-01T15:00:00.000Z");
  let last: ReturnType<typeof computeAllocation> | null = null;
  const samples = timeRuns(
    warmup,
    runs,
    () => computeAllocation(inputs, config, now, null),
    (result) => {
      last = result;
      const shares = Object.values(result.portfolio?.shares ?? {});
      if (shares.length !== strategyCount || Math.abs(shares.reduce((a, b) => a + b, 0) - 1) > 1e-9) throw new Error("risk parity benchmark: shares do not sum to 1");
    },
  );
  const portfolio = (last as ReturnType<typeof computeAllocation> | null)?.portfolio ?? null;
  return { ...summarise(samples), strategies: strategyCount, days, iterations: portfolio?.iterations ?? null, fallback: portfolio?.fallback?.to ?? null };
}

/**
 * Ask-Maestro's router on 1,000 messages: the labelled set (test/fixtures, read from the
 * repository) cycled, each timed alone; and its accuracy on the labelled set.
 */
function benchRouter(): RouterBench {
  const labelled = JSON.parse(readFileSync(join(__dirname, "..", "..", "test", "fixtures", "router-labelled.json"), "utf8")) as [string, Intent][];
  const names = ["Gamma Scalper", "Momentum Alpha", "Mean Reversion", "Pairs Arbitrage"];
  const samples: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const [text] = labelled[i % labelled.length];
    const t0 = process.hrtime.bigint();
    routeMessage(text, names, "2026-11-30");
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const hits = labelled.filter(([text, label]) => routeMessage(text, names, "2026-11-30").intent === label).length;
  return { utterances: samples.length, median_ms: median(sorted), p99_ms: percentile(sorted, 0.99), accuracy: hits / labelled.length, labelled: labelled.length };
}

function storedBytes(run: WorkflowRun): number {
  return Buffer.byteLength(JSON.stringify(storedRun(run)));
}

function agentAnswer(m: TaskMessage, status: TaskResponse["status"], payloadChars: number): TaskResponse {
  const big = "x".repeat(Math.max(0, payloadChars - 60));
  return {
    task_id: m.task_id, agent_name: m.agent_target, status, execution_time: 100, next_actions: [],
    result: status === "failure" ? {} : { blob: big },
    errors: status === "failure" ? [{ type: "data_gap", message: big }] : [],
    tenant_id: m.tenant_id, day: m.day, run_id: m.run_id, attempt: m.attempt,
  };
}

/** Issue 14: the cost of an agent's answer, and the run document's size, typical and worst. */
function benchAgentWorkflow(): AgentWorkflowBench {
  const now = (ms: number) => new Date(Date.parse("2026-11-30T14:35:00.000Z") + ms);
  const config = { ...DEFAULT_AGENTS_CONFIG, max_concurrent_agents: MAX_WORKFLOW_TASKS };
  const toRun = (ids: (i: number) => string, retries: number) => ({
    tenant_id: "bench-desk", day: "2026-11-30", phase: "ACTIVE_TRADING" as const, run_id: "ACTIVE_TRADING",
    tasks: WorkflowSchema.parse(Array.from({ length: MAX_WORKFLOW_TASKS }, (_, i) => ({ id: ids(i), agent: `agent-${i}`, task_type: "analyze", retry_attempts: retries }))),
  });
  // Typical: short ids, one answer of 500 characters per task; every answer timed.
  const typical = startRun(toRun((i) => `task-${i}`, 3), config, now(0));
  let run = typical.run;
  const samples: number[] = [];
  typical.dispatch.forEach((m, i) => {
    const t0 = process.hrtime.bigint();
    run = onResponse(run, agentAnswer(m, "success", 500), now(i + 1)).run;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
  const typicalBytes = storedBytes(run);
  // Worst: 128-character ids, every attempt answered (10 failures, then a success) at the payload limit, duplicates past those kept.
  const worst = startRun(toRun((i) => `${String(i).padStart(3, "0")}-${"t".repeat(124)}`, 10), config, now(0));
  run = worst.run;
  let pending = worst.dispatch;
  let clock = 1;
  for (let attempt = 1; attempt <= 11; attempt++) {
    const next: TaskMessage[] = [];
    for (const m of pending) {
      const reply = agentAnswer(m, attempt < 11 ? "failure" : "success", MAX_RESPONSE_PAYLOAD_CHARS);
      const step = onResponse(run, reply, now((clock += 1)));
      run = step.run;
      next.push(...step.dispatch);
      if (attempt === 1) for (let d = 0; d < RESPONSES_KEPT + 1; d++) run = onResponse(run, reply, now((clock += 1))).run;
    }
    pending = next;
  }
  for (let k = 0; k < RESPONSES_KEPT; k++) run = onResponse(run, { ...agentAnswer(worst.dispatch[0], "success", MAX_RESPONSE_PAYLOAD_CHARS), task_id: `stray-${k}` }, now((clock += 1))).run;
  const sorted = [...samples].sort((a, b) => a - b);
  return { tasks: MAX_WORKFLOW_TASKS, response_median_ms: median(sorted), response_p95_ms: percentile(sorted, 0.95), typical_bytes: typicalBytes, worst_bytes: storedBytes(run) };
}

export function runCoreBenchmarks(): CoreBenchResult {
  const cpus = os.cpus();
  return {
    machine: {
      cpu_model: cpus[0]?.model.trim() ?? "unknown",
      cpu_count: cpus.length,
      node_version: process.version,
      platform: `${os.platform()} ${os.arch()}`,
    },
    orchestration_target_ms: ORCHESTRATION_TARGET_MS,
    orchestration_small: benchOrchestration(20, 500, 2_000, 0x20),
    orchestration_large: benchOrchestration(1_000, 20, 200, 0x1000),
    orchestration_all_small: benchOrchestration(20, 500, 2_000, 0x20, true),
    orchestration_all_large: benchOrchestration(1_000, 20, 200, 0x1000, true),
    fifo: benchFifo(Number(process.env.MAESTRO_BENCH_FIFO_TRADES ?? 1_000_000), 50, 250, 3),
    weights: benchWeights(1_000, 30, 5, 20),
    risk_parity: [benchRiskParity(20, 60, 20, 200), benchRiskParity(200, 250, 3, 20)],
    router: benchRouter(),
    agents: benchAgentWorkflow(),
  };
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

export interface BenchRow {
  label: string;
  value: string;
  note?: string;
}

/**
 * A title, an underline, any preamble lines, then label/value/note columns padded to
 * line up. A row without a value prints its note straight after the label.
 */
export function formatBenchTable(title: string, rows: readonly BenchRow[], preamble: readonly string[] = []): string {
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  const lines = [title, "=".repeat(title.length), ...preamble];
  for (const row of rows) {
    if (row.label === "" && row.value === "") lines.push("");
    else if (row.value === "") lines.push(`${row.label.padEnd(labelWidth)}  ${row.note ?? ""}`.trimEnd());
    else lines.push(`${row.label.padEnd(labelWidth)}  ${row.value.padStart(valueWidth)}${row.note ? `  ${row.note}` : ""}`);
  }
  return lines.join("\n");
}

export function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

const BLANK: BenchRow = { label: "", value: "" };

function timingRows(prefix: string, t: TimingSummary): BenchRow[] {
  return [
    { label: `${prefix} median`, value: ms(t.median_ms), note: `(${t.runs} runs)` },
    { label: `${prefix} p95`, value: ms(t.p95_ms) },
    { label: `${prefix} min`, value: ms(t.min_ms) },
  ];
}

function orchestrationRows(o: OrchestrationBench): BenchRow[] {
  const modes = Object.entries(o.modes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([mode, n]) => `${mode} ${n}`)
    .join(", ");
  const prefix = `Orchestration ${o.strategies}×${o.signals_per_cycle}`;
  return [
    ...timingRows(prefix, o),
    { label: `${prefix} inputs`, value: "", note: `${o.batches} batches rotated, override fired in ${o.override_runs}/${o.runs} runs; modes: ${modes}` },
  ];
}

/** Issue 10: the cycle core with all steps at 1,000 strategies × 1,000 signals. */
const LARGE_TARGET_MS = 50;

export function formatCoreBenchmarks(r: CoreBenchResult): string {
  const small = r.orchestration_small;
  const verdict = small.median_ms <= r.orchestration_target_ms ? "PASS" : "MISS";
  const machine = `Machine: ${r.machine.cpu_model}, ${r.machine.cpu_count} CPUs, ${r.machine.platform}, Node ${r.machine.node_version}`;
  const rows: BenchRow[] = [
    BLANK,
    ...orchestrationRows(small),
    { label: "Orchestration 20×20 target", value: `≤ ${ms(r.orchestration_target_ms)}`, note: `median ${verdict}` },
    BLANK,
    ...orchestrationRows(r.orchestration_large),
    {
      label: "Orchestration 1000×1000 target",
      value: `≤ ${ms(LARGE_TARGET_MS)}`,
      note: `median ${r.orchestration_large.median_ms <= LARGE_TARGET_MS ? "PASS" : "MISS"} (issue 10)`,
    },
    BLANK,
    ...timingRows("Every step 20×20 (+arbitration, portfolio_risk)", r.orchestration_all_small),
    { label: "Every step 20×20 target", value: `≤ ${ms(r.orchestration_target_ms)}`, note: `median ${r.orchestration_all_small.median_ms <= r.orchestration_target_ms ? "PASS" : "MISS"} (issue 12)` },
    ...timingRows("Every step 1000×1000", r.orchestration_all_large),
    { label: "Every step 1000×1000 target", value: `≤ ${ms(LARGE_TARGET_MS)}`, note: `median ${r.orchestration_all_large.median_ms <= LARGE_TARGET_MS ? "PASS" : "MISS"} (issue 12)` },
    BLANK,
    ...timingRows(`FIFO rollup ${r.fifo.trades.toLocaleString("en-US")} trades`, r.fifo),
    {
      label: "FIFO rollup throughput",
      value: `${Math.round(r.fifo.trades_per_second).toLocaleString("en-US")} trades/s`,
      note: `(${r.fifo.symbols} symbols, ${r.fifo.trading_days} days, marks every day)`,
    },
    BLANK,
    ...timingRows(`Weights ${r.weights.strategies.toLocaleString("en-US")}×${r.weights.returns_per_strategy} returns`, r.weights),
    ...r.risk_parity.flatMap((rp) => {
      const target = RISK_PARITY_TARGETS_MS[rp.strategies];
      return [
        BLANK,
        ...timingRows(`Risk parity weights ${rp.strategies}×${rp.days} days`, rp),
        {
          label: `Risk parity ${rp.strategies} target`,
          value: target === undefined ? "–" : `≤ ${ms(target)}`,
          note: `median ${target === undefined ? "" : rp.median_ms <= target ? "PASS" : "MISS"} (issue 12; ${rp.iterations ?? "?"} Newton steps${rp.fallback ? `, fell back to ${rp.fallback}` : ""})`,
        },
      ];
    }),
    BLANK,
    { label: "Ask-Maestro routing median", value: ms(r.router.median_ms), note: `(${r.router.utterances} messages)` },
    { label: "Ask-Maestro routing p99", value: ms(r.router.p99_ms), note: `target ≤ ${ms(ROUTER_P99_TARGET_MS)}: ${r.router.p99_ms <= ROUTER_P99_TARGET_MS ? "PASS" : "MISS"} (seed 002)` },
    { label: "Ask-Maestro routing accuracy", value: `${(r.router.accuracy * 100).toFixed(1)} %`, note: `of ${r.router.labelled} labelled messages (target ≥ 95 %)` },
    BLANK,
    { label: `Agent answer applied, ${r.agents.tasks}-task run, median`, value: ms(r.agents.response_median_ms), note: "(onResponse; plus one transaction of 1 read and 1 write)" },
    { label: `Agent answer applied, ${r.agents.tasks}-task run, p95`, value: ms(r.agents.response_p95_ms) },
    { label: "Agent run document, typical", value: `${(r.agents.typical_bytes / 1024).toFixed(1)} KiB`, note: "(50 tasks, one 500-character answer each)" },
    {
      label: "Agent run document, worst case",
      value: `${(r.agents.worst_bytes / 1024).toFixed(1)} KiB`,
      note: `of Firestore's 1024 KiB: ${r.agents.worst_bytes < 900 * 1024 ? "FITS" : "TOO BIG"} (128-char ids, 11 attempts each at the payload limit, duplicates, strays)`,
    },
  ];
  return formatBenchTable("Maestro benchmarks — core (no emulator)", rows, [machine]);
}

export function printCoreBenchmarks(r: CoreBenchResult, write: (text: string) => void = console.log): void {
  write(formatCoreBenchmarks(r));
}
