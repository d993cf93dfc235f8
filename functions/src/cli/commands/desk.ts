/**
 * The desk's trading session: emergency-stop and resume (emergencyStop / resumeTrading for
 * a stop, resumeTradingSession for a pause), pause and lift-lock. All admin; the server
 * checks the role and records who did it and why.
 */
import type { CommandContext, CommandModule } from "../app";
import { CliError, EXIT, usageError } from "../exit-codes";
import { clip, keyValues, modeText, money, pct, stateText, table, tierText, when, type Palette } from "../format";
import { requireReason } from "../parse";
import { LOCK_CODES, type EmergencyReport } from "../../schemas";
import type {
  EmergencyStopResponse,
  GetDeskStatusResponse,
  GetMaestroConfigResponse,
  OrchestrateNowResponse,
  GetTradingSessionResponse,
  ResumeTradingResponse,
  TradingSessionActionResponse,
} from "../../schemas/api";

export function emergencyReportLines(report: EmergencyReport, c: Palette): string {
  const orders = report.orders_cancelled.map((o) => o.client_order_id);
  const closing = report.closing_orders.map((o) => `${o.position_side} ${o.amount} ${o.trading_pair} → ${o.client_order_id ?? c.red(`not sent (${o.error ?? "unknown"})`)}`);
  return keyValues(
    [
      ["Broker", report.broker ?? "none configured: execution intents written instead"],
      ["Licences revoked", `${report.nonces_revoked} nonce(s), ${report.reservations_released} reservation(s) released, ${report.signals_cancelled} pending signal(s) cancelled`],
      ["Agent runs cancelled", report.agent_runs_cancelled.length ? report.agent_runs_cancelled.join(", ") : "none"],
      ["Orders cancelled", orders.length ? orders.join(", ") : "none"],
      ["Cancel failures", report.cancel_failures.length ? c.red(report.cancel_failures.map((f) => `${f.client_order_id}: ${f.why}`).join("; ")) : "none"],
      ["Closing orders", closing.length ? closing.join("; ") : "none"],
      ["Intents", report.intents.length ? report.intents.join(", ") : "none"],
      ["Flat", report.broker ? (report.flat ? c.green(`yes after ${report.polls} poll(s)`) : c.red("no")) : "–"],
      ["Still open", report.still_open.length ? c.red(report.still_open.map((p) => `${p.side} ${p.amount} ${p.trading_pair}: ${p.why}`).join("; ")) : "nothing"],
      ["Took", `${(report.timings_ms.total / 1000).toFixed(1)} s`],
    ],
    c,
  );
}

async function currentSession(ctx: CommandContext): Promise<GetTradingSessionResponse> {
  const connection = await ctx.connect();
  return connection.call<GetTradingSessionResponse>("getTradingSession", { tenant_id: ctx.tenant() });
}

export async function deskStatus(ctx: CommandContext): Promise<GetDeskStatusResponse> {
  const connection = await ctx.connect();
  const tenantId = ctx.tenant();
  return ctx.out.spin("Reading the desk…", () => connection.call<GetDeskStatusResponse>("getDeskStatus", { tenant_id: tenantId }));
}

function locksText(locks: GetDeskStatusResponse["locks"], c: Palette): string {
  if (locks.length === 0) return c.green("none");
  return locks.map((l) => c.red(`${l.code} since ${when(l.since)}${l.until ? ` until ${when(l.until)}` : ""}: ${l.reason}`)).join("\n  ");
}

export function statusText(status: GetDeskStatusResponse, c: Palette): string {
  const s = status.session;
  const health = status.health;
  const since = s?.transitions.length ? s.transitions[s.transitions.length - 1].at : null;
  const pairs: [string, string][] = [
    ["Trading session", s ? `${stateText(s.state, c)} since ${when(since)} (closes ${when(s.closes_at)})` : c.yellow(`no session for ${status.day} yet (no cycle has woken the desk)`)],
    [
      "Health",
      health
        ? `${tierText(health.tier, c)}, checked ${when(health.checked_at)}` +
          (health.broker ? `; broker ${health.broker.kind} ${health.broker.reachable ? (health.broker.ready ? "reachable, ready" : c.yellow("reachable, not ready")) : c.red("unreachable")}` : "; no broker configured") +
          (health.stop ? c.red(`; stop: ${health.stop}`) : "")
        : c.yellow(status.health_problem ?? "not checked yet"),
    ],
    ...(health && health.reasons.length ? [["Health reasons", health.reasons.join("; ")] as [string, string]] : []),
    ...(health && health.failing_stages.length ? [["Failing stages", c.red(health.failing_stages.join(", "))] as [string, string]] : []),
    ["Locks", locksText(status.locks, c)],
  ];
  if (s) {
    const sum = s.summary;
    pairs.push([
      "Session",
      `equity ${money(sum.equity)}, P&L ${money(sum.pnl)}, ${s.risk.trades} trade(s), ${sum.cycles} cycle(s), ${sum.positions_open} position(s) open`,
    ]);
    const codes = Object.entries(sum.interventions_by_code).sort((a, b) => b[1] - a[1]);
    pairs.push(["Interventions", codes.length ? codes.map(([code, n]) => `${code} ×${n}`).join(", ") : "none"]);
    const agents = Object.entries(s.agents.states);
    if (agents.length) {
      const m = s.agents.metrics;
      pairs.push([
        "Agents",
        agents
          .map(([name, a]) => {
            const held = s.agents.holds[name];
            const text = `${name} ${a.status === "failed" ? c.red(a.status) : a.status === "running" ? c.yellow(a.status) : a.status}`;
            return held ? `${text} ${c.red(`(entries held since ${when(held.since)}: ${held.reason})`)}` : text;
          })
          .join(", ") +
          (m ? `; ${m.agents_executed} task(s) sent, success ${m.agent_success_rate === null ? "–" : pct(m.agent_success_rate)}, answers in ${m.average_response_time_ms === null ? "–" : `${Math.round(m.average_response_time_ms)} ms`} on average` : ""),
      ]);
    }
  }
  pairs.push([
    "Last cycle",
    status.last_orchestration
      ? `${status.last_orchestration.session_id} at ${when(status.last_orchestration.timestamp)} (${status.last_orchestration.trigger}, ${status.last_orchestration.signals} signal(s))`
      : "none yet",
  ]);
  pairs.push(["Weights", status.weights ? `computed ${when(status.weights.computed_at)}` : "not computed yet"]);
  const chain = status.chain_verification;
  pairs.push([
    "Log chain",
    chain
      ? chain.state === "broken"
        ? c.red(`BROKEN at seq ${chain.first_break?.seq}: ${chain.first_break?.problem}`)
        : `${chain.state === "complete" ? c.green("intact") : "verification running"}, ${chain.logs_checked} link(s) checked ${when(chain.last_run_at)}`
      : "not verified yet (daily schedule, or maestro verify-chain)",
  ]);
  return [`${c.bold(`Desk ${status.tenant_id}`)} — ${status.day}`, keyValues(pairs, c)].join("\n");
}

function riskText(status: GetDeskStatusResponse, config: GetMaestroConfigResponse["config"], c: Palette): string {
  const risk = config.risk;
  const s = status.session;
  const use = s?.summary.risk_utilization;
  const inUse = (fraction: number | null | undefined) => {
    if (fraction === null || fraction === undefined) return "–";
    const text = pct(fraction, 0);
    return fraction >= 1 ? c.red(text) : fraction >= 0.75 ? c.yellow(text) : text;
  };
  const lossFromHigh =
    s?.risk.high_water_equity && s.risk.last_equity !== null && s.risk.starting_equity
      ? (s.risk.high_water_equity - s.risk.last_equity) / s.risk.starting_equity
      : null;
  const rows = [
    ["Session loss from high-water", `${risk.max_session_loss_pct}% of starting equity`, lossFromHigh === null ? "–" : pct(lossFromHigh), inUse(use?.session_loss)],
    ["Trades this session", risk.max_trades_per_session === null ? "no limit" : String(risk.max_trades_per_session), s ? String(s.risk.trades - s.risk.trades_counted_from) : "–", inUse(use?.trades)],
    ["Open symbols", risk.max_positions === null ? "no limit" : String(risk.max_positions), s ? String(s.summary.positions_open) : "–", inUse(use?.positions)],
    ["Losses in a row", risk.max_consecutive_losses === null ? "no limit" : String(risk.max_consecutive_losses), "–", "–"],
    ["Risk per entry", `${risk.max_position_risk_pct}% of equity`, "–", "–"],
    ["Orders per minute", risk.max_orders_per_minute === null ? "no limit" : String(risk.max_orders_per_minute), s ? String(s.risk.order_times.length) : "–", "–"],
    ["Portfolio drawdown stop", risk.max_portfolio_drawdown_pct === null ? "off" : `${risk.max_portfolio_drawdown_pct}% from the high-water mark`, "–", "–"],
  ];
  const equity = s
    ? `starting ${money(s.risk.starting_equity)}, high-water ${money(s.risk.high_water_equity)}, last ${money(s.risk.last_equity)} (${when(s.risk.last_equity_as_of)})` +
      (s.risk.pending_equity ? c.yellow(`; unconfirmed reading ${money(s.risk.pending_equity.value)}`) : "")
    : "no session yet";
  return [
    `${c.bold(`Risk of ${status.tenant_id}`)} — ${status.day}, session ${s ? stateText(s.state, c) : "–"}`,
    keyValues(
      [
        ["Locks", locksText(status.locks, c)],
        ["Equity", equity],
        ["Health", status.health ? `${tierText(status.health.tier, c)}${status.health.reasons.length ? `: ${status.health.reasons.join("; ")}` : ""}` : "not checked yet"],
        ["Steps", config.cycle_steps.join(" → ")],
      ],
      c,
    ),
    table([{ header: "Limit" }, { header: "Setting" }, { header: "Now", align: "right" }, { header: "Of limit", align: "right" }], rows, c),
  ].join("\n");
}

export const deskCommands: CommandModule = (program, action) => {
  program
    .command("status")
    .description("the desk now: trading session, health, locks, last cycle, log chain (getDeskStatus)")
    .action(
      action(async (ctx) => {
        const status = await deskStatus(ctx);
        ctx.out.result(status, (c) => statusText(status, c));
      }),
    );

  program
    .command("risk-status")
    .description("the risk limits, how much of each is in use, the locks and the equity marks (getDeskStatus, getMaestroConfig)")
    .action(
      action(async (ctx) => {
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const [status, config] = await ctx.out.spin("Reading the desk and its limits…", () =>
          Promise.all([
            connection.call<GetDeskStatusResponse>("getDeskStatus", { tenant_id: tenantId }),
            connection.call<GetMaestroConfigResponse>("getMaestroConfig", { tenant_id: tenantId }),
          ]),
        );
        const s = status.session;
        ctx.out.result(
          {
            tenant_id: tenantId,
            day: status.day,
            state: s?.state ?? null,
            locks: status.locks,
            limits: config.config.risk,
            session_risk: s?.risk ?? null,
            risk_utilization: s?.summary.risk_utilization ?? null,
            health: status.health,
          },
          (c) => riskText(status, config.config, c),
        );
      }),
    );

  program
    .command("orchestrate")
    .description("run one cycle now on the pending signals (orchestrateNow, trader)")
    .action(
      action(async (ctx) => {
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const result = await ctx.out.spin("Orchestrating…", () => connection.call<OrchestrateNowResponse>("orchestrateNow", { tenant_id: tenantId }));
        ctx.out.result(result, (c) =>
          [
            `Session ${result.session_id}: ${result.signals.length} signal(s) in ${result.latency_ms} ms${result.more_pending ? c.yellow(" (more pending: run again)") : ""}`,
            table(
              [{ header: "Signal" }, { header: "Strategy" }, { header: "Ticker" }, { header: "Action" }, { header: "Alloc", align: "right" }, { header: "Mode" }, { header: "Exec" }, { header: "Interventions" }],
              result.signals.map((sig) => [
                sig.signal_id,
                sig.strategy_name,
                sig.ticker,
                sig.original_action && sig.original_action !== sig.action ? c.yellow(`${sig.original_action}→${sig.action}`) : sig.action,
                `${sig.original_allocation.toFixed(2)}→${sig.allocation.toFixed(2)}`,
                modeText(sig.mode, c),
                sig.executable ? c.green("yes") : "no",
                clip(sig.interventions.map((i) => i.code).join(", ") || "–", 50),
              ]),
              c,
            ),
            ...result.rejected_signals.map((r) => c.red(`rejected ${r.signal_id}: ${r.reason}`)),
            `Systemic risk: ${result.systemic_risk.details}`,
          ].join("\n"),
        );
      }),
    );

  program
    .command("emergency-stop")
    .description("stop the desk now: revoke licences, cancel orders, flatten positions (emergencyStop, admin)")
    .requiredOption("--reason <text>", "why (recorded with your name, sent with the alert)")
    .addHelpText("after", "\nExits 1 when a broker is configured and the desk is not flat afterwards (the report says what is still open).")
    .action(
      action<{ reason: string }>(async (ctx, options) => {
        const reason = requireReason(options.reason);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const result = await ctx.out.spin(`Emergency stop of ${tenantId}: cancelling and flattening…`, () =>
          connection.call<EmergencyStopResponse>("emergencyStop", { tenant_id: tenantId, reason }, { timeoutMs: 300_000 }),
        );
        ctx.out.result({ tenant_id: tenantId, ...result }, (c) =>
          [`${stateText(result.state, c)} — trading session ${result.day} of ${tenantId}`, emergencyReportLines(result.report, c)].join("\n"),
        );
        return result.report.broker && !result.report.flat ? EXIT.PROBLEM : EXIT.OK;
      }),
    );

  program
    .command("resume")
    .description("resume trading: after an emergency stop once the broker is reconciled (resumeTrading), or after a pause (resumeTradingSession); admin")
    .requiredOption("--reason <text>", "why (recorded with your name)")
    .action(
      action<{ reason: string }>(async (ctx, options) => {
        const reason = requireReason(options.reason);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const { day, session } = await ctx.out.spin("Reading the trading session…", () => currentSession(ctx));
        if (!session) throw new CliError(EXIT.FAILED_PRECONDITION, `no trading session for ${day} yet: nothing to resume`, "FAILED_PRECONDITION");
        if (session.state === "EMERGENCY_STOP") {
          const result = await ctx.out.spin("Checking the broker and resuming…", () =>
            connection.call<ResumeTradingResponse>("resumeTrading", { tenant_id: tenantId, reason }, { timeoutMs: 120_000 }),
          );
          ctx.out.result({ tenant_id: tenantId, from: "EMERGENCY_STOP", ...result }, (c) =>
            [`${c.green("Resumed")}: ${tenantId} ${result.day} is ${stateText(result.state, c)}`, ...result.checks.map((check) => `  ✓ ${check}`)].join("\n"),
          );
          return;
        }
        if (session.state === "PAUSED") {
          const result = await ctx.out.spin("Resuming…", () => connection.call<TradingSessionActionResponse>("resumeTradingSession", { tenant_id: tenantId, reason }));
          ctx.out.result({ tenant_id: tenantId, from: "PAUSED", day: result.session.day, state: result.session.state, action_id: result.action_id }, (c) =>
            `${c.green("Resumed")}: ${tenantId} ${result.session.day} is ${stateText(result.session.state, c)}`,
          );
          return;
        }
        throw new CliError(EXIT.FAILED_PRECONDITION, `nothing to resume: the trading session ${day} is ${session.state} (neither EMERGENCY_STOP nor PAUSED)`, "FAILED_PRECONDITION");
      }),
    );

  program
    .command("pause")
    .description("pause entries for the rest of the session until resumed (pauseTradingSession, admin)")
    .requiredOption("--reason <text>", "why (recorded with your name)")
    .action(
      action<{ reason: string }>(async (ctx, options) => {
        const reason = requireReason(options.reason);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const result = await ctx.out.spin("Pausing…", () => connection.call<TradingSessionActionResponse>("pauseTradingSession", { tenant_id: tenantId, reason }));
        ctx.out.result({ tenant_id: tenantId, day: result.session.day, state: result.session.state, action_id: result.action_id }, (c) =>
          `${tenantId} ${result.session.day} is ${stateText(result.session.state, c)}`,
        );
      }),
    );

  program
    .command("lift-lock")
    .description("lift a risk lock of today's session (liftRiskLock, admin)")
    .argument("<code>", `the lock: ${LOCK_CODES.join(", ")}`)
    .requiredOption("--reason <text>", "why (recorded with your name)")
    .action(
      action<{ reason: string }>(async (ctx, options, args) => {
        const code = args[0];
        if (!(LOCK_CODES as readonly string[]).includes(code)) throw usageError(`<code>: must be one of ${LOCK_CODES.join(", ")} (got ${JSON.stringify(code)})`);
        const reason = requireReason(options.reason);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const result = await ctx.out.spin("Lifting the lock…", () => connection.call<TradingSessionActionResponse>("liftRiskLock", { tenant_id: tenantId, code, reason }));
        const open = result.session.risk.locks.filter((l) => l.lifted_at === null);
        ctx.out.result({ tenant_id: tenantId, day: result.session.day, lifted: code, open_locks: open, action_id: result.action_id }, (c) =>
          `${c.green("Lifted")} ${code} on ${result.session.day}; locks still open: ${open.length ? open.map((l) => `${l.code} since ${when(l.since)}`).join(", ") : "none"}`,
        );
      }),
    );
};
