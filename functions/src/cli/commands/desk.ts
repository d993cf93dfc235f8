/**
 * The desk's trading session: emergency-stop and resume (emergencyStop / resumeTrading for
 * a stop, resumeTradingSession for a pause), pause and lift-lock. All admin; the server
 * checks the role and records who did it and why.
 */
import type { CommandContext, CommandModule } from "../app";
import { CliError, EXIT, usageError } from "../exit-codes";
import { keyValues, stateText, when, type Palette } from "../format";
import { LOCK_CODES, type EmergencyReport } from "../../schemas";
import type {
  EmergencyStopResponse,
  GetTradingSessionResponse,
  ResumeTradingResponse,
  TradingSessionActionResponse,
} from "../../schemas/api";

function requireReason(reason: string | undefined): string {
  if (!reason || reason.trim().length < 3) throw usageError("--reason: is required: say why (at least 3 characters); it is recorded with your name");
  return reason.trim();
}

export function emergencyReportLines(report: EmergencyReport, c: Palette): string {
  const orders = report.orders_cancelled.map((o) => o.client_order_id);
  const closing = report.closing_orders.map((o) => `${o.position_side} ${o.amount} ${o.trading_pair} → ${o.client_order_id ?? c.red(`not sent (${o.error ?? "unknown"})`)}`);
  return keyValues(
    [
      ["Broker", report.broker ?? "none configured: execution intents written instead"],
      ["Licences revoked", `${report.nonces_revoked} nonce(s), ${report.reservations_released} reservation(s) released, ${report.signals_cancelled} pending signal(s) cancelled`],
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

export const deskCommands: CommandModule = (program, action) => {
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
