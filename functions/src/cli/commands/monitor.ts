/**
 * monitor: the desk on one screen, redrawn from Firestore listeners (onSnapshot, as the
 * user under the security rules): the day's trading session, health/current,
 * strategy_weights/current and the latest orchestrations, with sparklines of the desk's
 * equity curve (cumulative P&L, getStrategyPerformance) and of the session's equity as it
 * arrives. --live keeps listening until Ctrl-C (or --duration); --json prints one JSON line
 * per update.
 */
import type { Unsubscribe } from "firebase/firestore";
import type { CommandModule } from "../app";
import { cumulative } from "../analysis";
import { EXIT, type ExitCode } from "../exit-codes";
import { clip, keyValues, modeText, money, sparkline, stateText, table, tierText, when, type Palette } from "../format";
import { parseWholeNumber } from "../parse";
import type { GetDeskStatusResponse, GetStrategyPerformanceResponse } from "../../schemas/api";

interface MonitorState {
  tenant_id: string;
  day: string;
  session: { state: string; equity: number | null; pnl: number | null; trades: number; cycles: number; locks: string[] } | null;
  health: { tier: string; checked_at: string; reasons: string[] } | null;
  weights: { computed_at: string; strategies: { id: string; name: string; mode: string; weight: number; sharpe: number }[] } | null;
  orchestrations: { session_id: string; timestamp: string; signals: number; trigger: string }[];
  /** The desk's cumulative P&L by day over the lookback, then nothing (days do not change live). */
  desk_curve: number[];
  /** The session's equity each time the session document changed while watching. */
  session_equity: number[];
  updates: number;
}

export function monitorFrame(s: MonitorState, c: Palette, now = new Date()): string {
  const lines = [
    `${c.bold(`Maestro monitor — ${s.tenant_id}`)}  ${s.day}  ${c.dim(`${when(now.toISOString())}, ${s.updates} update(s); Ctrl-C to leave`)}`,
    keyValues(
      [
        ["Session", s.session ? `${stateText(s.session.state, c)}  equity ${money(s.session.equity)}  P&L ${money(s.session.pnl)}  ${s.session.trades} trade(s), ${s.session.cycles} cycle(s)` : c.yellow("no session yet")],
        ["Locks", s.session?.locks.length ? c.red(s.session.locks.join(", ")) : c.green("none")],
        ["Health", s.health ? `${tierText(s.health.tier, c)} at ${when(s.health.checked_at)}${s.health.reasons.length ? `: ${clip(s.health.reasons.join("; "), 80)}` : ""}` : "not checked yet"],
        ["Desk equity curve", `${c.cyan(sparkline(s.desk_curve, 40))} ${money(s.desk_curve[s.desk_curve.length - 1] ?? null)} cumulative P&L`],
        ["Session equity", s.session_equity.length ? `${c.cyan(sparkline(s.session_equity, 40))} ${money(s.session_equity[s.session_equity.length - 1])}` : "–"],
      ],
      c,
    ),
  ];
  if (s.weights) {
    lines.push(
      table(
        [{ header: "Strategy" }, { header: "Mode" }, { header: "Weight", align: "right" }, { header: "Sharpe", align: "right" }],
        s.weights.strategies.map((w) => [w.name, modeText(w.mode, c), w.weight.toFixed(2), w.sharpe.toFixed(2)]),
        c,
      ),
    );
  }
  lines.push(c.bold("Latest cycles"));
  lines.push(...(s.orchestrations.length ? s.orchestrations.map((o) => `  ${when(o.timestamp)}  ${o.session_id}  ${o.trigger}, ${o.signals} signal(s)`) : ["  none yet"]));
  return lines.join("\n");
}

export const monitorCommand: CommandModule = (program, action) => {
  program
    .command("monitor")
    .description("the desk on one screen from Firestore listeners: session, health, locks, weights, latest cycles, equity sparklines")
    .option("--live", "keep listening and redraw on every change, until Ctrl-C")
    .option("--duration <seconds>", "with --live: stop after this many seconds")
    .action(
      action<{ live?: boolean; duration?: string }>(async (ctx, options) => {
        const duration = options.duration === undefined ? null : parseWholeNumber(options.duration, "--duration", 1, 86_400);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const [status, perf] = await ctx.out.spin("Reading the desk…", () =>
          Promise.all([
            connection.call<GetDeskStatusResponse>("getDeskStatus", { tenant_id: tenantId }),
            connection.call<GetStrategyPerformanceResponse>("getStrategyPerformance", { tenant_id: tenantId, period_days: 30 }),
          ]),
        );
        const byDay = new Map<string, number>();
        for (const s of perf.strategies) for (const d of s.days) byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.daily_pnl);
        const state: MonitorState = {
          tenant_id: tenantId,
          day: status.day,
          session: null,
          health: null,
          weights: null,
          orchestrations: [],
          desk_curve: cumulative([...byDay.keys()].sort().map((d) => byDay.get(d)!)).map((v) => Math.round(v * 100) / 100),
          session_equity: [],
          updates: 0,
        };
        const db = await ctx.out.spin("Connecting to Firestore…", () => connection.firestore());
        const { collection, doc, limit, onSnapshot, orderBy, query } = await import("firebase/firestore");
        const tty = !ctx.out.json && process.stdout.isTTY === true;
        const redraw = (source: string) => {
          state.updates += 1;
          if (ctx.out.json) ctx.out.writeJson({ at: new Date().toISOString(), update: source, ...state });
          else if (tty) process.stdout.write(`\x1b[H\x1b[2J${monitorFrame(state, ctx.out.colours)}\n`);
          else ctx.out.print(`${when(new Date().toISOString())} ${source}: ${monitorFrame(state, ctx.out.colours).split("\n").slice(1, 4).join(" | ")}`);
        };

        let finish: (code: ExitCode) => void = () => undefined;
        const finished = new Promise<ExitCode>((resolve) => (finish = resolve));
        const failed = (what: string) => (error: Error) => {
          ctx.out.error(`${what}: listener stopped: ${error.message}`);
          finish((error as { code?: string }).code === "permission-denied" ? EXIT.PERMISSION_DENIED : EXIT.UNAVAILABLE);
        };
        const expected = 4;
        const seen = new Set<string>();
        // Live: a frame per change. Otherwise: one frame once every listener has answered.
        const update = (source: string) => {
          if (options.live) redraw(source);
          seen.add(source);
          if (!options.live && seen.size === expected) finish(EXIT.OK);
        };
        const unsubscribe: Unsubscribe[] = [
          onSnapshot(
            doc(db, "tenants", tenantId, "trading_sessions", status.day),
            (snap) => {
              const d = snap.data();
              state.session = d
                ? {
                    state: d.state,
                    equity: d.summary?.equity ?? null,
                    pnl: d.summary?.pnl ?? null,
                    trades: d.risk?.trades ?? 0,
                    cycles: d.summary?.cycles ?? 0,
                    locks: ((d.risk?.locks ?? []) as { code: string; lifted_at: string | null }[]).filter((l) => l.lifted_at === null).map((l) => l.code),
                  }
                : null;
              if (typeof state.session?.equity === "number") state.session_equity.push(state.session.equity);
              update("session");
            },
            failed("trading session"),
          ),
          onSnapshot(
            doc(db, "tenants", tenantId, "health", "current"),
            (snap) => {
              const d = snap.data();
              state.health = d ? { tier: d.tier, checked_at: d.checked_at, reasons: d.reasons ?? [] } : null;
              update("health");
            },
            failed("health"),
          ),
          onSnapshot(
            doc(db, "tenants", tenantId, "strategy_weights", "current"),
            (snap) => {
              const d = snap.data();
              state.weights = d
                ? {
                    computed_at: d.computed_at,
                    strategies: Object.values(d.strategies ?? {})
                      .map((w: any) => ({ id: w.strategy_id, name: w.strategy_name, mode: w.mode, weight: w.portfolio_weight ?? w.weight, sharpe: w.sharpe_ratio }))
                      .sort((a, b) => b.sharpe - a.sharpe),
                  }
                : null;
              update("weights");
            },
            failed("weights"),
          ),
          onSnapshot(
            query(collection(db, "tenants", tenantId, "orchestrations"), orderBy("timestamp", "desc"), limit(5)),
            (snap) => {
              state.orchestrations = snap.docs.map((o) => ({ session_id: o.id, timestamp: o.get("timestamp"), signals: (o.get("signals") ?? []).length, trigger: o.get("trigger") }));
              update("orchestrations");
            },
            failed("orchestrations"),
          ),
        ];
        const onSignal = () => finish(EXIT.OK);
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        const timer = options.live && duration !== null ? setTimeout(() => finish(EXIT.OK), duration * 1000) : null;
        const code = await finished;
        if (timer) clearTimeout(timer);
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        unsubscribe.forEach((u) => u());
        if (!options.live && code === EXIT.OK) redraw("snapshot");
        return code;
      }),
    );
};
