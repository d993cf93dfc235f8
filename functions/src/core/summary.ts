/**
 * The orchestration summary: the Gemini prompt (seed 000 "Prompt Structure") and the
 * deterministic written summary used when no model is configured, or it fails or is slow
 * (DESIGN.md "AI summary").
 */
import type { AllocationDecision, EnrichedSignal, MaestroConfig, RejectedSignal, SystemicRisk } from "../schemas";
import { formatComparison, formatPercent } from "./allocation";

export interface SummaryInput {
  session_id: string;
  timestamp: string;
  /** The orchestrated signals, for their count. */
  signals: readonly EnrichedSignal[];
  allocation_decisions: readonly AllocationDecision[];
  systemic_risk: SystemicRisk;
  rejected_signals: readonly RejectedSignal[];
  /** The thresholds used; without them the summary gives Sharpe values without the bound they missed. */
  config?: Pick<MaestroConfig, "sharpe_threshold_reduce" | "sharpe_threshold_shadow" | "min_data_points">;
}

/** Beyond this many, the prompt lists a count rather than every line (a tenant may run 1,000 strategies). */
const PROMPT_LIST_LIMIT = 25;
/** Beyond this many mode changes, the written summary counts them rather than naming them. */
const NAMED_CHANGES_LIMIT = 3;

/** Tenant-written text is kept to one line so it cannot reshape the prompt's structure. */
function oneLine(s: string, max = 300): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Seed 000 "Prompt Structure". ACTIVE strategies at full allocation are counted, the others listed. */
export function buildSummaryPrompt(d: SummaryInput): string {
  const changed = d.allocation_decisions.filter((a) => a.mode !== "ACTIVE" || a.final_allocation !== a.original_allocation);
  const unchanged = d.allocation_decisions.length - changed.length;

  const lines = [
    "You are the Maestro, an AI orchestrator for a multi-agent trading system.",
    "Generate a concise, professional summary of this orchestration decision:",
    "",
    `Session: ${d.session_id}`,
    `Timestamp: ${d.timestamp}`,
    "",
    `Signals: ${d.signals.length} orchestrated, ${d.rejected_signals.length} rejected.`,
    "",
    "Allocation Decisions:",
  ];
  for (const a of changed.slice(0, PROMPT_LIST_LIMIT)) {
    lines.push(
      `  - ${oneLine(a.strategy_name)}: ${a.mode} (Sharpe: ${a.sharpe_ratio.toFixed(2)}, ` +
        `Allocation: ${formatPercent(a.original_allocation)} → ${formatPercent(a.final_allocation)})`,
      `    Reasoning: ${oneLine(a.reasoning)}`,
    );
  }
  if (changed.length > PROMPT_LIST_LIMIT) lines.push(`  - ... and ${plural(changed.length - PROMPT_LIST_LIMIT, "more strategy", "more strategies")} below full allocation`);
  if (unchanged > 0) lines.push(`  - ${plural(unchanged, "strategy", "strategies")} ACTIVE at full allocation`);
  if (d.allocation_decisions.length === 0) lines.push("  - (no strategies)");

  lines.push("");
  if (d.systemic_risk.detected) {
    lines.push("⚠️ SYSTEMIC RISK OVERRIDE:", `  ${d.systemic_risk.details}`);
  } else {
    lines.push("Systemic risk:", `  ${d.systemic_risk.details}`);
  }

  if (d.rejected_signals.length > 0) {
    lines.push("", "Rejected Signals:");
    for (const r of d.rejected_signals.slice(0, PROMPT_LIST_LIMIT)) lines.push(`  - ${oneLine(r.signal_id, 128)}: ${oneLine(r.reason)}`);
    if (d.rejected_signals.length > PROMPT_LIST_LIMIT) lines.push(`  - ... and ${d.rejected_signals.length - PROMPT_LIST_LIMIT} more`);
  }

  lines.push(
    "",
    "Provide a 2-3 sentence executive summary highlighting key actions",
    "and any risk management interventions.",
  );
  return lines.join("\n");
}

/** Deterministic, no AI: what was orchestrated, which strategies left full allocation and why, and the override. */
export function writtenSummary(d: SummaryInput): string {
  const strategies = plural(d.allocation_decisions.length, "strategy", "strategies");
  const rejected = d.rejected_signals.length > 0 ? `; ${plural(d.rejected_signals.length, "signal")} rejected as invalid` : "";
  const first =
    d.signals.length === 0
      ? `Maestro orchestrated no signals across ${strategies}${rejected}.`
      : `Maestro orchestrated ${plural(d.signals.length, "signal")} across ${strategies}${rejected}.`;

  return [first, modeSentence(d), riskSentence(d.systemic_risk)].join(" ");
}

function modeSentence(d: SummaryInput): string {
  const changed = d.allocation_decisions.filter((a) => a.mode !== "ACTIVE");
  if (changed.length === 0) {
    return d.allocation_decisions.length === 0 ? "No strategies to allocate." : "All strategies kept full allocation.";
  }
  if (changed.length > NAMED_CHANGES_LIMIT) {
    const count = (mode: AllocationDecision["mode"]) => changed.filter((a) => a.mode === mode).length;
    const parts = [
      count("REDUCED") && `reduced ${plural(count("REDUCED"), "strategy", "strategies")}`,
      count("SHADOW_MODE") && `moved ${count("SHADOW_MODE")} to shadow mode`,
      count("DISABLED") && `disabled ${count("DISABLED")}`,
    ].filter((p): p is string => Boolean(p));
    return `${capitalize(joinList(parts))}.`;
  }
  const parts = changed.map((a) => {
    const name = oneLine(a.strategy_name, 80);
    switch (a.mode) {
      case "REDUCED":
        return `reduced ${name} to ${formatPercent(a.final_allocation)} (${basis(a, d.config?.sharpe_threshold_reduce, d.config)})`;
      case "SHADOW_MODE":
        return `moved ${name} to shadow mode (${basis(a, d.config?.sharpe_threshold_shadow, d.config)})`;
      default:
        return `disabled ${name}`;
    }
  });
  return `${capitalize(parts.join("; "))}.`;
}

function basis(a: AllocationDecision, threshold: number | undefined, config: SummaryInput["config"]): string {
  if (a.data_points === 0) return "no performance data";
  if (config && a.data_points < config.min_data_points) return `only ${a.data_points} of ${config.min_data_points} days of data`;
  // A stale weight may sit on the other side of today's threshold: then state only the value.
  if (threshold === undefined || !(a.sharpe_ratio < threshold)) return `Sharpe ${a.sharpe_ratio.toFixed(2)}`;
  const [s, t] = formatComparison(a.sharpe_ratio, threshold);
  return `Sharpe ${s} < ${t}`;
}

function riskSentence(r: SystemicRisk): string {
  if (r.detected) {
    return `Systemic risk override engaged: ${plural(r.sell_count, "strategy", "strategies")} signaled SELL, ${plural(r.overridden_count, "BUY signal")} held.`;
  }
  return `No systemic risk override: ${plural(r.sell_count, "strategy", "strategies")} signaled SELL, ${r.threshold} needed.`;
}

function joinList(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
