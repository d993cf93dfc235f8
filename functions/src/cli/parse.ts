/**
 * The CLI's argument parsing that is more than a flag: periods ("7d"), config keys and
 * values (`--key allocation.method --value performance_based`), the reason a write
 * records. Pure; a bad argument is a
 * usage error (exit 2) whose message names the flag.
 */
import { parse as parseYaml } from "yaml";
import { usageError } from "./exit-codes";

const PERIOD_UNITS: Record<string, number> = { d: 1, w: 7, m: 30, y: 365 };

/** "7d" → 7, "2w" → 14, "3m" → 90 (30-day months), "1y" → 365, "30" → 30. Within 1..365 days. */
export function parsePeriodDays(text: string, flag = "--period"): number {
  const match = /^\s*(\d+)\s*([dwmy]?)\s*$/i.exec(text);
  if (!match) throw usageError(`${flag}: must be a number of days, weeks, months or years, e.g. 7d, 2w, 3m, 1y (got ${JSON.stringify(text)})`);
  const days = Number(match[1]) * PERIOD_UNITS[(match[2] || "d").toLowerCase()];
  if (days < 1 || days > 365) throw usageError(`${flag}: must be between 1 day and 365 days (got ${text} = ${days} days)`);
  return days;
}

const KEY_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** "allocation.method" → ["allocation", "method"]; each segment a config field name. */
export function parseConfigKey(key: string): string[] {
  const segments = key.split(".");
  if (segments.some((s) => !KEY_SEGMENT.test(s))) {
    throw usageError(`--key: must be a dotted path of config field names, e.g. risk.max_session_loss_pct (got ${JSON.stringify(key)})`);
  }
  return segments;
}

/**
 * The value of `--value`, read as YAML (a superset of JSON): "0.03" → 0.03, "true" → true,
 * "null" → null, "[1, 2]" → [1, 2], "{enabled: false}" → {enabled: false}; anything else is
 * the string itself ("performance_based").
 */
export function parseConfigValue(text: string): unknown {
  try {
    return parseYaml(text) ?? null;
  } catch (error) {
    throw usageError(`--value: is not a YAML or JSON value: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** ["risk", "max_positions"], 5 → { risk: { max_positions: 5 } }: the nested patch updateMaestroConfig merges key by key. */
export function nestedPatch(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key, i) => ({ [key]: i === path.length - 1 ? value : inner }), {});
}

/** A whole number of at least `min` from a flag's text. */
export function parseWholeNumber(text: string, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${flag}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return n;
}

/** The `--reason` every write records with the operator's name: at least 3 characters, trimmed (the server's rule too). */
export function requireReason(reason: string | undefined): string {
  if (!reason || reason.trim().length < 3) throw usageError("--reason: is required: say why (at least 3 characters); it is recorded with your name");
  return reason.trim();
}
