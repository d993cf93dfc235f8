/**
 * report: a PDF of the desk over a period, drawn as charts (pdfkit, vector lines): the
 * equity curve of each strategy (cumulative P&L), its drawdown, the weights over time and
 * the interventions by code. Reads getStrategyPerformance, getStrategyWeights and
 * listAllocationHistory through the callables, and the period's orchestrations from
 * Firestore as the user (the rules let a viewer read them; no callable lists them).
 */
import { createWriteStream } from "node:fs";
import type { CommandContext, CommandModule } from "../app";
import { drawdowns, equityCurve, cumulative } from "../analysis";
import { extent, horizontalBars, niceTicks, timePolyline, type Box } from "../charts";
import { CliError, EXIT } from "../exit-codes";
import { keyValues, money, pct } from "../format";
import { parsePeriodDays } from "../parse";
import type { GetStrategyPerformanceResponse, GetStrategyWeightsResponse, ListAllocationHistoryResponse } from "../../schemas/api";

/** Most orchestrations the report reads for a period (newest kept); it says when it cut. */
export const REPORT_ORCHESTRATIONS_MAX = 1000;

export interface ReportData {
  tenant_id: string;
  period_days: number;
  generated_at: string;
  generated_by: string;
  from: string | null;
  to: string | null;
  strategies: {
    strategy_id: string;
    name: string;
    mode: string | null;
    capital_base: number;
    days: string[];
    cumulative_pnl: number[];
    drawdown: number[];
    sharpe: number;
    max_drawdown: number;
  }[];
  /** Each strategy's weight at each time it was set: the portfolio method's rebalances, else the cycles' weight multipliers. */
  weights: { source: string; series: Record<string, { t: string; weight: number }[]> };
  interventions: { code: string; count: number }[];
  orchestrations_read: number;
  orchestrations_cut: boolean;
}

interface OrchestrationRead {
  timestamp: string;
  signals?: { strategy_id: string; weight_multiplier?: number; interventions?: { code: string }[] }[];
}

async function gather(ctx: CommandContext, periodDays: number): Promise<ReportData> {
  const connection = await ctx.connect();
  const tenantId = ctx.tenant();
  const [perf, weights, history] = await Promise.all([
    connection.call<GetStrategyPerformanceResponse>("getStrategyPerformance", { tenant_id: tenantId, period_days: periodDays }),
    connection.call<GetStrategyWeightsResponse>("getStrategyWeights", { tenant_id: tenantId }).catch((error: unknown) => {
      if (error instanceof CliError && error.status === "NOT_FOUND") return null;
      throw error;
    }),
    connection.call<ListAllocationHistoryResponse>("listAllocationHistory", { tenant_id: tenantId, limit: 200 }),
  ]);
  const allDays = perf.strategies.flatMap((s) => s.days.map((d) => d.day)).sort();
  const from = allDays[0] ?? null;
  const to = allDays[allDays.length - 1] ?? null;
  const since = from ?? new Date(Date.now() - periodDays * 86_400_000).toISOString().slice(0, 10);

  const db = await connection.firestore();
  const { collection, getDocs, limit, orderBy, query, where } = await import("firebase/firestore");
  const snap = await getDocs(
    query(collection(db, "tenants", tenantId, "orchestrations"), where("timestamp", ">=", since), orderBy("timestamp", "desc"), limit(REPORT_ORCHESTRATIONS_MAX)),
  );
  const orchestrations = snap.docs.map((d) => d.data() as OrchestrationRead).reverse();

  const codes = new Map<string, number>();
  for (const o of orchestrations) for (const s of o.signals ?? []) for (const i of s.interventions ?? []) codes.set(i.code, (codes.get(i.code) ?? 0) + 1);

  const inPeriod = history.entries.filter((e) => e.at >= since).reverse();
  const series: Record<string, { t: string; weight: number }[]> = {};
  let source: string;
  if (inPeriod.length > 0) {
    source = "the portfolio method's rebalances (listAllocationHistory)";
    for (const e of inPeriod) for (const [id, share] of Object.entries(e.after)) (series[id] ??= []).push({ t: e.at, weight: share });
  } else {
    source = "each cycle's weight multiplier per strategy (orchestrations)";
    for (const o of orchestrations) {
      const seen = new Set<string>();
      for (const s of o.signals ?? []) {
        if (seen.has(s.strategy_id) || typeof s.weight_multiplier !== "number") continue;
        seen.add(s.strategy_id);
        (series[s.strategy_id] ??= []).push({ t: o.timestamp, weight: s.weight_multiplier });
      }
    }
  }
  // The weights now, as the last point of each series.
  if (weights) for (const w of weights.strategies) (series[w.strategy_id] ??= []).push({ t: weights.computed_at, weight: w.portfolio_weight ?? w.weight });

  return {
    tenant_id: tenantId,
    period_days: perf.period_days,
    generated_at: new Date().toISOString(),
    generated_by: connection.identity.email ?? connection.identity.uid,
    from,
    to,
    strategies: perf.strategies.map((s) => {
      const equity = equityCurve(s.capital_base, s.days);
      return {
        strategy_id: s.strategy_id,
        name: s.name,
        mode: s.mode,
        capital_base: s.capital_base,
        days: s.days.map((d) => d.day),
        cumulative_pnl: cumulative(s.days.map((d) => d.daily_pnl)),
        drawdown: drawdowns(equity),
        sharpe: s.metrics.sharpe_ratio,
        max_drawdown: s.metrics.max_drawdown,
      };
    }),
    weights: { source, series },
    interventions: [...codes.entries()].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    orchestrations_read: orchestrations.length,
    orchestrations_cut: orchestrations.length >= REPORT_ORCHESTRATIONS_MAX,
  };
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

const SERIES_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
type Pdf = PDFKit.PDFDocument;

/** pdfkit's standard fonts are WinAnsi: keep the text to what they can show. */
const plain = (text: string) => text.replace(/[→]/g, "->").replace(/[–—]/g, "-").replace(/[^\x20-\x7e\n]/g, "?");

function axes(doc: Pdf, box: Box, ticks: number[], domain: [number, number], format: (v: number) => string, xLabels: [string, string] | null): void {
  doc.save().lineWidth(0.5).strokeColor("#999999");
  doc.rect(box.x, box.y, box.width, box.height).stroke();
  const y = (v: number) => box.y + box.height - ((v - domain[0]) / (domain[1] - domain[0] || 1)) * box.height;
  doc.fontSize(7).fillColor("#555555");
  for (const t of ticks) {
    const ty = y(t);
    if (ty < box.y - 0.5 || ty > box.y + box.height + 0.5) continue;
    doc.strokeColor("#e5e5e5").moveTo(box.x, ty).lineTo(box.x + box.width, ty).stroke();
    doc.text(plain(format(t)), box.x - 62, ty - 3, { width: 58, align: "right" });
  }
  if (xLabels) {
    doc.text(plain(xLabels[0]), box.x, box.y + box.height + 4, { width: 120 });
    doc.text(plain(xLabels[1]), box.x + box.width - 120, box.y + box.height + 4, { width: 120, align: "right" });
  }
  doc.restore();
}

function legend(doc: Pdf, names: string[], x: number, y: number): void {
  doc.save().fontSize(8);
  names.forEach((name, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    doc.rect(x, y + i * 12, 10, 3).fill(colour);
    doc.fillColor("#222222").text(plain(name), x + 14, y + i * 12 - 3, { width: 150 });
  });
  doc.restore();
}

function drawLines(doc: Pdf, lines: { x: number; y: number }[][]): void {
  lines.forEach((points, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    if (points.length === 1) {
      doc.circle(points[0].x, points[0].y, 1.5).fill(colour);
      return;
    }
    doc.save().lineWidth(1.2).strokeColor(colour);
    points.forEach((p, k) => (k === 0 ? doc.moveTo(p.x, p.y) : doc.lineTo(p.x, p.y)));
    doc.stroke().restore();
  });
}

function title(doc: Pdf, text: string, note: string): void {
  doc.fontSize(15).fillColor("#111111").text(plain(text), 50, 40);
  doc.fontSize(9).fillColor("#555555").text(plain(note), 50, 60, { width: 740 });
}

const CHART: Box = { x: 110, y: 95, width: 520, height: 420 };

/** Line charts over the strategies' trading days (equity curves, drawdowns). */
function dayChart(doc: Pdf, data: ReportData, values: (s: ReportData["strategies"][number]) => number[], format: (v: number) => string, include0: boolean): void {
  const days = [...new Set(data.strategies.flatMap((s) => s.days))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  const domain = extent(data.strategies.map(values), include0 ? [0] : []);
  const ticks = niceTicks(domain[0], domain[1], 6);
  const padded: [number, number] = [Math.min(domain[0], ticks[0]), Math.max(domain[1], ticks[ticks.length - 1])];
  axes(doc, CHART, ticks, padded, format, days.length ? [days[0], days[days.length - 1]] : null);
  const time: [number, number] = [0, Math.max(1, days.length - 1)];
  drawLines(
    doc,
    data.strategies.map((s) => timePolyline(values(s).map((v, k) => ({ t: index.get(s.days[k]) ?? k, value: v })), CHART, time, padded)),
  );
  legend(doc, data.strategies.map((s) => s.name), CHART.x + CHART.width + 15, CHART.y);
}

export async function writeReportPdf(data: ReportData, file: string): Promise<void> {
  const PDFDocument = (await import("pdfkit")).default;
  const doc = new PDFDocument({ size: "A4", layout: "landscape", margin: 40, info: { Title: `Maestro report ${data.tenant_id}`, Author: "maestro report", Subject: `last ${data.period_days} trading days` } });
  const stream = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
    doc.on("error", reject);
  });
  doc.pipe(stream);
  const period = data.from ? `${data.from} to ${data.to}` : "no performance in the period";

  // 1. Summary.
  title(doc, `Maestro report - tenant ${data.tenant_id}`, `Last ${data.period_days} trading days (${period}). Generated ${data.generated_at} for ${data.generated_by}.`);
  const head = ["Strategy", "Mode", "P&L", "Return", "Sharpe", "Max drawdown", "Days"];
  const widths = [200, 90, 100, 80, 70, 100, 50];
  let y = 100;
  doc.fontSize(9).fillColor("#111111");
  let x = 50;
  head.forEach((h, i) => {
    doc.text(h, x, y, { width: widths[i], align: i >= 2 ? "right" : "left" });
    x += widths[i];
  });
  y += 16;
  for (const s of data.strategies) {
    const pnl = s.cumulative_pnl[s.cumulative_pnl.length - 1] ?? 0;
    const row = [s.name, s.mode ?? "-", money(pnl), pct(s.capital_base > 0 ? pnl / s.capital_base : null), s.sharpe.toFixed(2), pct(s.max_drawdown), String(s.days.length)];
    x = 50;
    row.forEach((cell, i) => {
      doc.fillColor("#333333").text(plain(cell), x, y, { width: widths[i], align: i >= 2 ? "right" : "left" });
      x += widths[i];
    });
    y += 14;
  }
  doc.fontSize(9).fillColor("#555555").text(
    plain(
      `Interventions: ${data.interventions.reduce((n, i) => n + i.count, 0)} over ${data.orchestrations_read} cycle(s)${data.orchestrations_cut ? ` (the newest ${REPORT_ORCHESTRATIONS_MAX} read)` : ""}. Weights over time: ${data.weights.source}.`,
    ),
    50,
    y + 14,
    { width: 740 },
  );

  // 2. Equity curves.
  doc.addPage();
  title(doc, "Equity curves: cumulative P&L per strategy", `Sum of daily P&L (realized + change in unrealized) over ${period}; the equity curve is capital_base + this.`);
  dayChart(doc, data, (s) => s.cumulative_pnl, (v) => money(v), true);

  // 3. Drawdowns.
  doc.addPage();
  title(doc, "Drawdown per strategy", "Equity (capital_base + cumulative P&L) below its running peak, in % of the peak.");
  dayChart(doc, data, (s) => s.drawdown, (v) => pct(v, 1), true);

  // 4. Weights over time.
  doc.addPage();
  title(doc, "Weights over time", `Each strategy's weight when it was set: ${data.weights.source}; the last point is the weights now.`);
  const ids = Object.keys(data.weights.series).sort();
  // Each weight holds until the next is set, and the last until the report: step lines up to generated_at.
  const end = Date.parse(data.generated_at);
  const stamps = ids.flatMap((id) => data.weights.series[id].map((p) => Date.parse(p.t)));
  const start = stamps.length ? Math.min(...stamps) : end;
  const last = Math.max(end, ...stamps);
  const time: [number, number] = [start - (last - start) * 0.02 - 1_000, last];
  axes(doc, CHART, niceTicks(0, 1, 6), [0, 1], (v) => pct(v, 0), [new Date(time[0]).toISOString().slice(0, 16), new Date(time[1]).toISOString().slice(0, 16)]);
  drawLines(
    doc,
    ids.map((id) => {
      const points = data.weights.series[id].map((p) => ({ t: Date.parse(p.t), value: p.weight })).sort((a, b) => a.t - b.t);
      const held = [...points, { t: time[1], value: points[points.length - 1].value }];
      const steps = held.flatMap((p, k) => (k === 0 ? [p] : [{ t: p.t, value: held[k - 1].value }, p]));
      return timePolyline(steps, CHART, time, [0, 1]);
    }),
  );
  legend(doc, ids, CHART.x + CHART.width + 15, CHART.y);

  // 5. Interventions by code.
  doc.addPage();
  title(doc, "Interventions by code", `Every change a step of the cycle made to a signal, by its stable code, over ${data.orchestrations_read} cycle(s) since ${data.from ?? "the period's start"}.`);
  const box: Box = { x: 230, y: 95, width: 480, height: Math.min(420, 28 * Math.max(1, data.interventions.length)) };
  const bars = horizontalBars(data.interventions.map((i) => ({ label: i.code, value: i.count })), box);
  if (bars.length === 0) doc.fontSize(10).fillColor("#555555").text("No intervention in the period.", 50, 100);
  for (const [k, bar] of bars.entries()) {
    doc.rect(bar.x, bar.y, Math.max(0.5, bar.width), bar.height).fill(SERIES_COLOURS[k % SERIES_COLOURS.length]);
    doc.fontSize(8).fillColor("#222222").text(plain(bar.label), 40, bar.y + bar.height / 2 - 4, { width: 182, align: "right" });
    doc.text(String(bar.value), bar.x + bar.width + 4, bar.y + bar.height / 2 - 4);
  }

  doc.end();
  await done;
}

export const reportCommand: CommandModule = (program, action) => {
  program
    .command("report")
    .description("a PDF of the period: equity curves, drawdowns, weights over time and interventions by code, drawn as charts")
    .option("--period <days>", "how far back: 7d, 30d, 3m (trading days with performance)", "30d")
    .requiredOption("--output <file>", "the PDF to write, e.g. report.pdf")
    .action(
      action<{ period: string; output: string }>(async (ctx, options) => {
        const periodDays = parsePeriodDays(options.period);
        const data = await ctx.out.spin(`Gathering ${periodDays} days…`, () => gather(ctx, periodDays));
        try {
          await ctx.out.spin(`Drawing ${options.output}…`, () => writeReportPdf(data, options.output));
        } catch (error) {
          throw new CliError(EXIT.USAGE, `--output: cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        const total = data.strategies.reduce((sum, s) => sum + (s.cumulative_pnl[s.cumulative_pnl.length - 1] ?? 0), 0);
        ctx.out.result(
          {
            output: options.output,
            tenant_id: data.tenant_id,
            period_days: data.period_days,
            from: data.from,
            to: data.to,
            strategies: data.strategies.length,
            total_pnl: total,
            interventions: data.interventions,
            orchestrations_read: data.orchestrations_read,
            weights_source: data.weights.source,
            pages: 5,
          },
          (c) =>
            keyValues(
              [
                ["Report", `${c.bold(options.output)} (5 pages: summary, equity curves, drawdowns, weights over time, interventions by code)`],
                ["Period", data.from ? `${data.from} to ${data.to} (${data.period_days} trading days)` : "no performance in the period"],
                ["Desk P&L", money(total)],
                ["Interventions", data.interventions.length ? data.interventions.map((i) => `${i.code} ×${i.count}`).join(", ") : "none"],
              ],
              c,
            ),
        );
      }),
    );
};
