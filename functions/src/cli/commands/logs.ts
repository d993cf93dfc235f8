/**
 * The audit log: logs (listOrchestrationLogs), verify-chain (verifyLogChain, admin, walked
 * to the head page by page) and replay (replayOrchestration: re-runs a stored cycle on its
 * recorded inputs and compares).
 */
import type { CommandModule } from "../app";
import { EXIT } from "../exit-codes";
import { clip, keyValues, table, when } from "../format";
import { parseWholeNumber } from "../parse";
import { LOG_PAGE_SIZE_MAX, SessionIdSchema, type ListOrchestrationLogsResponse, type LogListItem, type VerifyLogChainResponse, type ReplayOrchestrationResponse } from "../../schemas/api";
import { usageError } from "../exit-codes";

const shown = (value: unknown) => clip(JSON.stringify(value) ?? "undefined", 60);

export const logCommands: CommandModule = (program, action) => {
  program
    .command("logs")
    .description("the orchestration logs, newest first (listOrchestrationLogs)")
    .option("--systemic-only", "only the cycles in which the systemic-risk override fired")
    .option("--limit <n>", "at most this many logs", "20")
    .action(
      action<{ systemicOnly?: boolean; limit: string }>(async (ctx, options) => {
        const limit = parseWholeNumber(options.limit, "--limit", 1, 1000);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const logs: LogListItem[] = [];
        let cursor: string | null = null;
        await ctx.out.spin("Reading the logs…", async () => {
          do {
            const page: ListOrchestrationLogsResponse = await connection.call("listOrchestrationLogs", {
              tenant_id: tenantId,
              page_size: Math.min(LOG_PAGE_SIZE_MAX, limit - logs.length),
              cursor,
              systemic_only: options.systemicOnly === true,
            });
            logs.push(...page.logs);
            cursor = page.next_cursor;
          } while (cursor && logs.length < limit);
        });
        ctx.out.result({ tenant_id: tenantId, systemic_only: options.systemicOnly === true, logs, next_cursor: cursor }, (c) => {
          if (logs.length === 0) return options.systemicOnly ? "No cycle in which the systemic-risk override fired." : "No orchestration logged yet.";
          return table(
            [
              { header: "Seq", align: "right" },
              { header: "When" },
              { header: "Session" },
              { header: "Signals", align: "right" },
              { header: "Overrides", align: "right" },
              { header: "Rejected", align: "right" },
              { header: "Systemic" },
              { header: "Summary" },
            ],
            logs.map((l) => [
              String(l.seq),
              when(l.timestamp),
              l.session_id,
              String(l.signals_count),
              String(l.overrides_count),
              String(l.rejected_count),
              l.systemic_risk_detected ? c.red("yes") : "no",
              clip(l.ai_summary, 60),
            ]),
            c,
          );
        });
      }),
    );

  program
    .command("verify-chain")
    .description("verify the tenant's hash-chained log from the first link to the head (verifyLogChain, admin); exits 1 if it is broken")
    .action(
      action(async (ctx) => {
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        let result: VerifyLogChainResponse | null = null;
        let calls = 0;
        await ctx.out.spin("Verifying the log chain…", async () => {
          let cursor: string | null = null;
          do {
            result = await connection.call<VerifyLogChainResponse>("verifyLogChain", { tenant_id: tenantId, cursor });
            calls += 1;
            cursor = result.next_cursor;
          } while (!result.complete && cursor);
        });
        const r = result as unknown as VerifyLogChainResponse;
        ctx.out.result({ ...r, calls }, (c) =>
          keyValues(
            [
              ["Chain", r.intact ? c.green(r.complete ? "intact" : "intact so far (incomplete)") : c.red("BROKEN")],
              ["Links checked", `${r.logs_checked}${r.head_seq !== null ? ` of ${r.head_seq}` : ""} in ${calls} call(s)`],
              ["Keyed", r.keyed ? "yes (HMAC-SHA256)" : c.yellow("no: plain sha256, which anyone holding the database can recompute")],
              ...(r.first_break ? [["First break", c.red(`seq ${r.first_break.seq} (${r.first_break.log_id ?? "missing log"}): ${r.first_break.problem}`)] as [string, string]] : []),
            ],
            c,
          ),
        );
        return r.intact ? EXIT.OK : EXIT.PROBLEM;
      }),
    );

  program
    .command("replay")
    .description("re-run a stored orchestration on its recorded inputs and compare (replayOrchestration); exits 1 if it differs")
    .argument("<session_id>", "the cycle's session id, maestro_{epoch ms}_{16 hex}")
    .action(
      action(async (ctx, _options, args) => {
        const sessionId = args[0];
        if (!SessionIdSchema.safeParse(sessionId).success) throw usageError(`<session_id>: must be a session id, maestro_{epoch ms}_{16 hex} (got ${JSON.stringify(sessionId)})`);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const result = await ctx.out.spin(`Replaying ${sessionId}…`, () => connection.call<ReplayOrchestrationResponse>("replayOrchestration", { tenant_id: tenantId, session_id: sessionId }));
        ctx.out.result(result, (c) => {
          if (!result.replayable) return `${c.yellow("Not replayable")}: ${result.reason ?? "the stored inputs are incomplete"}`;
          if (result.identical) return `${c.green("Identical")}: replaying ${sessionId} on its recorded inputs (sha256 ${result.inputs_sha256?.slice(0, 12)}…) gives the stored decisions, ${result.compared_fields} fields compared.`;
          return [
            `${c.red("Differs")}: ${result.difference_count} difference(s) between the stored cycle and its replay${result.difference_count > result.differences.length ? ` (the first ${result.differences.length} shown)` : ""}; finding ${result.finding_id ?? "not written"}`,
            table(
              [{ header: "Path" }, { header: "Kind" }, { header: "Stored" }, { header: "Replayed" }],
              result.differences.map((d) => [d.path, d.kind, shown(d.stored), shown(d.replayed)]),
              c,
            ),
          ].join("\n");
        });
        return result.replayable && result.identical ? EXIT.OK : EXIT.PROBLEM;
      }),
    );
};
