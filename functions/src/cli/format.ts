/**
 * How the CLI writes for people: aligned tables, money with two decimals, percentages,
 * modes and states in colour (only when the palette is enabled: a TTY, no NO_COLOR, no
 * --no-color), and a sparkline. Pure: strings in, strings out.
 */
import { createColors } from "picocolors";

export type Palette = ReturnType<typeof createColors>;

export function palette(enabled: boolean): Palette {
  return createColors(enabled);
}

/**
 * Colour is for a person at a terminal: stdout is a TTY, NO_COLOR is unset (no-color.org),
 * --no-color was not given, and the output is not --json. FORCE_COLOR turns it on anyway.
 */
export function colourEnabled(options: { isTTY: boolean; noColorFlag: boolean; json: boolean; env: NodeJS.ProcessEnv }): boolean {
  if (options.noColorFlag || options.json) return false;
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== "") return false;
  if (options.env.FORCE_COLOR && options.env.FORCE_COLOR !== "0") return true;
  return options.isTTY;
}

// ANSI SGR sequences (what picocolors writes): not part of a cell's width.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

export interface Column {
  header: string;
  /** Numbers are right-aligned so their decimal points line up. */
  align?: "left" | "right";
}

/** A table: a header, a rule, the rows; columns as wide as their widest cell, two spaces apart. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], colours: Palette = palette(false)): string {
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const pad = (text: string, i: number): string => {
    const fill = " ".repeat(Math.max(0, widths[i] - visibleLength(text)));
    return columns[i].align === "right" ? fill + text : text + fill;
  };
  const line = (cells: readonly string[]) => cells.map((c, i) => pad(c ?? "", i)).join("  ").trimEnd();
  return [
    colours.bold(line(columns.map((c) => c.header))),
    colours.dim(widths.map((w) => "─".repeat(w)).join("  ")),
    ...rows.map(line),
  ].join("\n");
}

/** `label: value` lines with the labels padded to one width. */
export function keyValues(pairs: readonly (readonly [string, string])[], colours: Palette = palette(false)): string {
  const width = Math.max(0, ...pairs.map(([k]) => visibleLength(k)));
  return pairs.map(([k, v]) => `${colours.dim(`${k}:`.padEnd(width + 1))} ${v}`).join("\n");
}

const moneyFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 1234.5 → "$1,234.50"; -20 → "-$20.00"; null → "–". */
export function money(amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return "–";
  const text = moneyFormat.format(Math.abs(amount));
  return amount < 0 && text !== "0.00" ? `-$${text}` : `$${text}`;
}

/** A fraction as a percentage: 0.1234 → "12.34%". */
export function pct(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A plain number with fixed decimals, "–" when missing. */
export function fixed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toFixed(digits);
}

/** Green above zero, red below: for P&L and returns. */
export function signed(text: string, value: number | null | undefined, colours: Palette): string {
  if (value === null || value === undefined || value === 0) return text;
  return value > 0 ? colours.green(text) : colours.red(text);
}

/** A strategy's mode, coloured by how much of its allocation it keeps. */
export function modeText(mode: string, colours: Palette): string {
  switch (mode) {
    case "ACTIVE":
      return colours.green(mode);
    case "REDUCED":
      return colours.yellow(mode);
    case "SHADOW_MODE":
      return colours.magenta(mode);
    case "DISABLED":
      return colours.red(mode);
    default:
      return mode;
  }
}

/** A trading session's state, coloured: trading green, stopped red, paused or outside hours yellow. */
export function stateText(state: string, colours: Palette): string {
  if (state === "ACTIVE_TRADING") return colours.green(state);
  if (state === "EMERGENCY_STOP") return colours.bold(colours.red(state));
  if (state === "PAUSED") return colours.yellow(state);
  return colours.cyan(state);
}

/** The health check's tier: ok green, warning yellow, critical red. */
export function tierText(tier: string, colours: Palette): string {
  if (tier === "ok") return colours.green(tier);
  if (tier === "warning") return colours.yellow(tier);
  if (tier === "critical") return colours.bold(colours.red(tier));
  return tier;
}

const BARS = "▁▂▃▄▅▆▇█";

/**
 * A sparkline of the values, one character each, scaled from the least (▁) to the greatest
 * (█); a flat series is drawn at the middle. At most `width` characters: a longer series
 * keeps its most recent values.
 */
export function sparkline(values: readonly number[], width = 40): string {
  const shown = values.filter(Number.isFinite).slice(-width);
  if (shown.length === 0) return "";
  const lo = Math.min(...shown);
  const hi = Math.max(...shown);
  if (hi === lo) return BARS[3].repeat(shown.length);
  return shown.map((v) => BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))]).join("");
}

/** "2026-11-20T14:31:05.123Z" → "2026-11-20 14:31:05Z"; null → "–". */
export function when(iso: string | null | undefined): string {
  if (!iso) return "–";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Cuts a long text to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join("")}…`;
}
