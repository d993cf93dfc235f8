/**
 * The cycle as a pipeline of steps (issue 10). Each step takes the signals and the cycle's
 * context and returns the signals, every change it made recorded on the signal as one
 * intervention (step, code, reason, before, after), as LEAN chains alpha → portfolio
 * construction → risk → execution. Steps are chosen and ordered by `config.cycle_steps`.
 * Identity (the nonce that licenses the trade) is stamped after the last step, only on
 * what survived (core/orchestrate.ts).
 *
 * Exits always pass every step that is about risk: a signal that reduces or closes the
 * strategy's position is never held by the systemic override or the buying-power guard
 * (NautilusTrader's HALTED state blocking the closing order was a bug its users hit).
 */
import type {
  BuyingPowerSummary,
  EnrichedSignal,
  Intervention,
  InterventionCode,
  InterventionStep,
  MaestroConfig,
  Mode,
  StrategyWeight,
  SystemicRisk,
  TradingSessionState,
} from "../schemas";
import type { SessionBlock } from "./session-guardian";
import type { BanditState } from "./arbitration";

/** A signal inside the pipeline: everything but the identity, which is stamped last. */
export type DraftSignal = Omit<EnrichedSignal, "agent_id" | "nonce" | "session_id" | "identity_timestamp">;

export interface StepContext {
  config: MaestroConfig;
  /** The weight each strategy trades at this cycle (stored, or the fallback). */
  weights: ReadonlyMap<string, StrategyWeight>;
  capitalBase: ReadonlyMap<string, number>;
  /** Buying power left for this cycle's entries (see core/buying-power.ts). */
  buyingPower: { available: number | null | "hold"; source: string };
  /** The account's equity, and where it came from (null: none usable). */
  equity: { value: number | null; source: string };
  /** Each strategy's open quantity per symbol. */
  positions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Correlation of two strategies' returns by pairKey(a, b), for the pairs the weights kept (|ρ| ≥ 0.5; core/portfolio-risk.ts). */
  correlations?: ReadonlyMap<string, number>;
  /** The latest price of each symbol (market data, else the latest daily marks), for the open positions' heat; and where it came from. */
  marks?: { prices: ReadonlyMap<string, number>; source: string };
  /** The arbitration bandit's learned state and this cycle's seed (core/arbitration.ts). */
  arbitration?: { state: BanditState; seed: number };
  /** The trading session as the cycle found it (absent: no session limits, as in a pure test of one step). */
  session?: {
    state: TradingSessionState;
    /** Why the session was paused, for the hold's reason. */
    pausedReason: string | null;
    /** A lock or a data-quality hold on every entry (core/session-guardian.ts). */
    block: SessionBlock | null;
    /** Orders the cycle may still license this session / this minute (null: no limit). */
    tradesLeft: number | null;
    ordersLeft: number | null;
    /** Strategies whose agent failed, with why (issue 14): their entries are held; absent: none. */
    agentHolds?: Readonly<Record<string, string>>;
  };
}

/** What a step returns: the signals, and its summary for the orchestration record. */
export interface StepResult {
  signals: DraftSignal[];
  systemic_risk?: SystemicRisk;
  buying_power?: BuyingPowerSummary;
}

export interface CycleStep {
  readonly name: InterventionStep;
  run(signals: readonly DraftSignal[], ctx: StepContext): StepResult;
}

/**
 * The signal after a step changed its action or allocation, with the change recorded.
 * `extra` carries the step's other fields (the seed's compatibility fields, notional).
 */
export function intervene(
  signal: DraftSignal,
  step: InterventionStep,
  code: InterventionCode,
  reason: string,
  after: Intervention["after"],
  extra: Partial<DraftSignal> = {},
): DraftSignal {
  const intervention: Intervention = { step, code, reason, before: { action: signal.action, allocation: signal.allocation }, after };
  return { ...signal, ...extra, action: after.action, allocation: after.allocation, interventions: [...signal.interventions, intervention] };
}

/** A signal that opens or adds to exposure: the only kind a risk step may hold. */
export function isEntry(signal: Pick<DraftSignal, "exposure" | "action">): boolean {
  return signal.action !== "HOLD" && signal.exposure !== "exit";
}

/**
 * entry / exit / none from the strategy's open position in the ticker (signed quantity):
 * a SELL against a long or a BUY against a short reduces exposure; anything else adds it.
 */
export function exposureOf(action: DraftSignal["action"], position: number | undefined): NonNullable<DraftSignal["exposure"]> {
  if (action === "HOLD") return "none";
  const held = position ?? 0;
  if ((action === "SELL" && held > 0) || (action === "BUY" && held < 0)) return "exit";
  return "entry";
}

/** Runs the configured steps in order; each sees what the one before it returned. */
export function runSteps(
  steps: readonly CycleStep[],
  signals: readonly DraftSignal[],
  ctx: StepContext,
): { signals: DraftSignal[]; systemic_risk?: SystemicRisk; buying_power?: BuyingPowerSummary } {
  let current = [...signals];
  let systemicRisk: SystemicRisk | undefined;
  let buyingPower: BuyingPowerSummary | undefined;
  for (const step of steps) {
    const result = step.run(current, ctx);
    current = result.signals;
    systemicRisk = result.systemic_risk ?? systemicRisk;
    buyingPower = result.buying_power ?? buyingPower;
  }
  return { signals: current, systemic_risk: systemicRisk, buying_power: buyingPower };
}

/** Modes whose signals reach the market; a SHADOW_MODE or DISABLED signal trades on paper or not at all. */
export const TRADABLE_MODES: ReadonlySet<Mode> = new Set<Mode>(["ACTIVE", "REDUCED"]);

/** Whether a signal would reach the market as it stands: a tradable mode, not HOLD, an allocation above 0. */
export function wouldTrade(s: Pick<DraftSignal, "mode" | "action" | "allocation">): boolean {
  return TRADABLE_MODES.has(s.mode) && s.action !== "HOLD" && s.allocation > 0;
}
