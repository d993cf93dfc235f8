/**
 * An admin's partial change to a tenant's Maestro config (updateMaestroConfig): merged
 * onto the config in force and validated as a whole, so a change that is fine on its own
 * but breaks a rule across fields (the shadow threshold above the reduce threshold) is
 * refused naming the field. What the schema cannot know — that a workflow task's agent is
 * one of the tenant's strategies — is checked against the strategies the handler read.
 */
import { MaestroConfigSchema, describeIssues, type MaestroConfig } from "../schemas";
import { WORKFLOW_PHASES } from "../schemas/agents";
import { rateCeilingViolations, type RateCeilings } from "./access";

export type ConfigChangeResult =
  | { ok: true; config: MaestroConfig; changed_fields: string[] }
  | { ok: false; reason: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The fields that say which variant a config block is (allocation.method, broker.kind). */
const DISCRIMINANTS = ["method", "kind"] as const;

/** A change that switches a block to another variant replaces it: the old variant's parameters would not fit the new one. */
function switchesVariant(base: Record<string, unknown>, change: Record<string, unknown>): boolean {
  return DISCRIMINANTS.some((d) => d in change && d in base && change[d] !== base[d]);
}

/** Nested objects (ai_summary, rate_limits) merge key by key, unless the change switches their variant; anything else replaces. */
function deepMerge(base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = base[key];
    out[key] = isPlainObject(value) && isPlainObject(current) && !switchesVariant(current, value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Dotted paths of the leaves that differ between two configs. */
function changedPaths(before: unknown, after: unknown, prefix = ""): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

/**
 * `ceilings` are the platform's rate-limit ceilings (deploy params): a config whose rate
 * in any bucket is above its ceiling is refused naming the ceiling, whatever else changed.
 */
export function applyConfigChanges(current: MaestroConfig, changes: Record<string, unknown>, ceilings?: RateCeilings): ConfigChangeResult {
  const merged = deepMerge(current as unknown as Record<string, unknown>, changes);
  const parsed = MaestroConfigSchema.safeParse(merged);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error, merged) };
  const aboveCeiling = ceilings ? rateCeilingViolations(parsed.data.rate_limits, ceilings) : [];
  if (aboveCeiling.length > 0) return { ok: false, reason: aboveCeiling.join("; ") };
  return { ok: true, config: parsed.data, changed_fields: changedPaths(current, parsed.data) };
}

/** A workflow task's `agent`: the field that names it and the strategy it names. */
export interface WorkflowAgentReference {
  /** "agents.workflows.ACTIVE_TRADING[1].agent" */
  field: string;
  strategy_id: string;
}

/** Every workflow task's agent, phase by phase (WORKFLOW_PHASES order), task by task. */
export function workflowAgentReferences(config: MaestroConfig): WorkflowAgentReference[] {
  return WORKFLOW_PHASES.flatMap((phase) =>
    (config.agents.workflows[phase] ?? []).map((task, i) => ({ field: `agents.workflows.${phase}[${i}].agent`, strategy_id: task.agent })),
  );
}

/** How many missing agents, and how many of the tenant's strategies, a refusal names before it says "more". */
export const UNKNOWN_AGENTS_SHOWN = 5;
export const KNOWN_STRATEGIES_SHOWN = 10;

/**
 * Why the config names strategies the tenant does not have, or null when every reference
 * is to one of `existing`. `known` is some of the tenant's strategy ids, to say what it
 * does have (the caller reads at most KNOWN_STRATEGIES_SHOWN + 1 of them, so that "more"
 * is true to the collection without reading all of it).
 */
export function unknownWorkflowAgents(
  references: readonly WorkflowAgentReference[],
  existing: ReadonlySet<string>,
  tenantId: string,
  known: readonly string[],
): string | null {
  const missing = references.filter((r) => !existing.has(r.strategy_id));
  if (missing.length === 0) return null;
  const named = missing.slice(0, UNKNOWN_AGENTS_SHOWN).map((r) => `${r.field}: no strategy '${r.strategy_id}' in tenant '${tenantId}'`);
  if (missing.length > UNKNOWN_AGENTS_SHOWN) named.push(`and ${missing.length - UNKNOWN_AGENTS_SHOWN} more task(s) naming an unknown agent`);
  const shown = [...known].sort().slice(0, KNOWN_STRATEGIES_SHOWN);
  const strategies = shown.length === 0 ? "the tenant has no strategies" : `strategies: ${shown.join(", ")}${known.length > KNOWN_STRATEGIES_SHOWN ? ", …" : ""}`;
  return `${named.join("; ")} (${strategies})`;
}
