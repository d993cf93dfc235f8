/**
 * Seed 001's SESSION_STATE for a trading session, kept current by every cycle, and the
 * report written when the session enters POST_MARKET (issue 10), pure.
 */
import type { RiskConfig, SessionAlert, SessionReport, SessionRisk, SessionSummary, TradingSession } from "../schemas";
import type { SessionAssessment } from "./session-guardian";

/** Alerts kept on the session: the latest ones (a day of a flapping feed must not fill the document). */
export const MAX_SESSION_ALERTS = 50;

export function emptySummary(): SessionSummary {
  return {
    equity: null,
    pnl: null,
    positions_open: 0,
    risk_utilization: { session_loss: null, trades: null, positions: null },
    cycles: 0,
    interventions_by_code: {},
    alerts: [],
  };
}

export interface SummaryInput {
  risk: SessionRisk;
  config: RiskConfig;
  positions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** This cycle's signals, for the count of interventions by code. */
  signals: readonly { interventions: readonly { code: string }[] }[];
  alerts: readonly SessionAlert[];
  loss: SessionAssessment["loss"];
}

/** The summary after one more cycle. */
export function nextSummary(previous: SessionSummary, input: SummaryInput): SessionSummary {
  const { risk, config } = input;
  const byCode = { ...previous.interventions_by_code };
  for (const s of input.signals) for (const x of s.interventions) byCode[x.code] = (byCode[x.code] ?? 0) + 1;
  let open = 0;
  const symbols = new Set<string>();
  for (const bySymbol of Object.values(input.positions)) {
    for (const [symbol, quantity] of Object.entries(bySymbol)) {
      if (quantity === 0) continue;
      open += 1;
      symbols.add(symbol);
    }
  }
  const trades = risk.trades - risk.trades_counted_from;
  return {
    equity: risk.last_equity,
    pnl: risk.last_equity !== null && risk.starting_equity !== null ? round2(risk.last_equity - risk.starting_equity) : null,
    positions_open: open,
    risk_utilization: {
      session_loss: input.loss && input.loss.limit > 0 ? round4(input.loss.amount / input.loss.limit) : previous.risk_utilization.session_loss,
      trades: config.max_trades_per_session === null ? null : round4(trades / config.max_trades_per_session),
      positions: config.max_positions === null ? null : round4(symbols.size / config.max_positions),
    },
    cycles: previous.cycles + 1,
    interventions_by_code: byCode,
    alerts: appendAlerts(previous.alerts, input.alerts),
  };
}

/** An alert added outside a cycle (a pause, a resume, a lifted lock). */
export function withAlert(summary: SessionSummary, alert: SessionAlert): SessionSummary {
  return { ...summary, alerts: appendAlerts(summary.alerts, [alert]) };
}

/** Data-quality holds repeat every cycle while they last: one alert per spell, not one per cycle. */
const REPEATING = new Set(["EQUITY_UNAVAILABLE", "EQUITY_IMPLAUSIBLE"]);

/**
 * The latest MAX_SESSION_ALERTS alerts. A data-quality alert that repeats the newest one
 * kept is dropped, so a feed stale for hours does not push the session's lock alerts out.
 */
function appendAlerts(kept: readonly SessionAlert[], added: readonly SessionAlert[]): SessionAlert[] {
  const out = [...kept];
  for (const alert of added) {
    if (REPEATING.has(alert.code) && out.length > 0 && out[out.length - 1].code === alert.code) continue;
    out.push(alert);
  }
  return out.slice(-MAX_SESSION_ALERTS);
}

export interface StrategyDay {
  strategy_id: string;
  /** The strategy's performance for the session's day; null when there is none. */
  performance: { realized_pnl: number; unrealized_pnl: number; daily_pnl: number } | null;
}

/** The POST_MARKET report: the summary as it stands, the session's marks and locks, and each strategy's day. */
export function sessionReport(session: TradingSession, strategies: readonly StrategyDay[], now: Date): SessionReport {
  return {
    ...session.summary,
    day: session.day,
    written_at: now.toISOString(),
    starting_equity: session.risk.starting_equity,
    high_water_equity: session.risk.high_water_equity,
    trades: session.risk.trades,
    locks: session.risk.locks,
    strategy_contributions: [...strategies]
      .sort((a, b) => (a.strategy_id < b.strategy_id ? -1 : a.strategy_id > b.strategy_id ? 1 : 0))
      .map((s) => ({
        strategy_id: s.strategy_id,
        realized_pnl: s.performance?.realized_pnl ?? null,
        unrealized_pnl: s.performance?.unrealized_pnl ?? null,
        daily_pnl: s.performance?.daily_pnl ?? null,
        note: s.performance ? null : "no performance for the day: no fills, or the rollup has not run yet",
      })),
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
