/**
 * What a cycle's recorded inputs weigh (issue 13, replay): the canonical JSON of a cycle
 * with 10 strategies and n signals, its documents (INPUTS_PART_BYTES each at most), and
 * the time to record it and to replay it. Signals as the emulator tests write them (an
 * 80-character reasoning) and at the schema's worst (2,000 characters). A cycle takes at
 * most MAX_SIGNALS_PER_CYCLE (200) signals within SIGNAL_BYTES_BUDGET; 1,000 shows what a
 * larger batch would cost.
 *
 *   npm --prefix functions run build && node functions/lib/tools/measure-replay-inputs.js
 */
import { recordCycleInputs, splitUtf8 } from "../core/cycle-inputs";
import { replayDecision } from "../core/replay";
import { seedOf } from "../core/arbitration";
import { EMPTY_SESSION_RISK } from "../core/session-guardian";
import { DEFAULT_CONFIG, type StrategyWeight } from "../schemas";
import { CYCLE_INPUTS_FORMAT } from "../schemas/replay";

const SESSION = "maestro_1735560000000_a1b2c3d4e5f60718";
const NOW = "2024-12-30T15:00:00.000Z";

function record(signals: number, reasoningChars: number) {
  const ids = Array.from({ length: 10 }, (_, i) => `strategy-${i}`);
  const weight = (id: string): StrategyWeight => ({
    strategy_id: id, strategy_name: id, weight: 1, mode: "ACTIVE", reasoning: "ACTIVE: Sharpe 1.42 ≥ 1.0 over 30 days of performance", sharpe_ratio: 1.42, sortino_ratio: 2.1,
    total_return: 0.034, annualized_return: 0.31, volatility: 0.12, max_drawdown: -0.05, win_rate: 0.56, data_points: 30, period_start: "2024-11-30", period_end: "2024-12-29", paper_days: 0,
  });
  return {
    format: CYCLE_INPUTS_FORMAT, tenant_id: "fund-a", session_id: SESSION, now: NOW, trading_day: "2024-12-30", config: DEFAULT_CONFIG,
    strategies: Object.fromEntries(ids.map((id) => [id, { name: id, enabled: true, capital_base: 100_000, manual_mode: null }])),
    weights: Object.fromEntries(ids.map((id) => [id, weight(id)])),
    signals: Array.from({ length: signals }, (_, i) => ({
      id: `sig-${String(i).padStart(5, "0")}`,
      data: { strategy_id: ids[i % 10], action: i % 4 === 3 ? "SELL" : "BUY", ticker: `T${i % 300}`, allocation: 0.02, confidence: 0.6, reasoning: "r".repeat(reasoningChars), status: "pending", created_at: NOW },
    })),
    pre_rejected: [],
    positions: Object.fromEntries(ids.map((id, i) => [id, { [`T${i}`]: 100 }])),
    correlated_pairs: [], marks: null, bandit: null, arbitration_seed: seedOf(SESSION),
    equity: { value: 1_000_000, source: `account snapshot as of ${NOW}`, as_of: NOW },
    buying_power: { available: 500_000, source: `account snapshot as of ${NOW}` },
    session: { state: "ACTIVE_TRADING", paused_reason: null, risk: EMPTY_SESSION_RISK, closed_trades: [], trading_since: "2024-12-30T14:30:00.000Z", closes_at: "2024-12-30T21:00:00.000Z", equity_as_of: NOW },
  };
}

// A first, unprinted run warms the JIT and zod's schemas, as a warm function instance has them.
replayDecision(recordCycleInputs(JSON.parse(JSON.stringify(record(20, 80)))).record);
for (const [signals, reasoning] of [[20, 80], [200, 80], [1000, 80], [200, 2000], [1000, 2000]] as const) {
  const plain = JSON.parse(JSON.stringify(record(signals, reasoning)));
  const t0 = process.hrtime.bigint();
  const recorded = recordCycleInputs(plain);
  const t1 = process.hrtime.bigint();
  replayDecision(recorded.record);
  const t2 = process.hrtime.bigint();
  const parts = splitUtf8(recorded.text).length;
  console.log(
    `${String(signals).padStart(5)} signals, ${String(reasoning).padStart(4)}-character reasonings: ${String(recorded.bytes).padStart(9)} bytes in ${parts} document(s); ` +
      `record ${(Number(t1 - t0) / 1e6).toFixed(1)} ms, replay ${(Number(t2 - t1) / 1e6).toFixed(1)} ms`,
  );
}
