/**
 * agents issue | revoke | list: strategy agents' credentials (issue 14), all admin. issue
 * mints an agent's custom token (issueAgentCredential) and hands it over, best in a file
 * only its owner can read (--token-file); revoke refuses the agent's next request
 * (revokeAgentCredential); list shows who was issued what, newest first, never a token
 * (listAgentCredentials).
 */
import type { CommandModule } from "../app";
import { prepareSecretFile, type SecretFile } from "../credentials";
import { CliError, EXIT, usageError } from "../exit-codes";
import { clip, keyValues, table, when, type Palette } from "../format";
import { parseWholeNumber, requireReason } from "../parse";
import { DocIdSchema } from "../../schemas/ids";
import type { AgentCredential } from "../../schemas";
import type { IssueAgentCredentialResponse, ListAgentCredentialsResponse, RevokeAgentCredentialResponse } from "../../schemas/api";

/** A positional id checked as the server will (DocIdSchema), so a bad one is a usage error before any call. */
function docIdArgument(name: string, value: string): string {
  const parsed = DocIdSchema.safeParse(value);
  if (!parsed.success) throw usageError(`${name}: ${parsed.error.issues[0].message} (got ${JSON.stringify(value)})`);
  return value;
}

function statusText(status: AgentCredential["status"], c: Palette): string {
  return status === "active" ? c.green(status) : c.red(status);
}

function tokenFile(path: string): SecretFile {
  try {
    return prepareSecretFile(path);
  } catch (error) {
    throw usageError(`--token-file: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export const agentCommands: CommandModule = (program, action) => {
  const agents = program.command("agents").description("strategy agents' credentials: issue, revoke, list (admin)");

  agents
    .command("issue")
    .description("issue a credential for a strategy's agent: a custom token it signs in with (issueAgentCredential, admin)")
    .argument("<strategy>", "the strategy id the agent writes signals for")
    .requiredOption("--reason <text>", "why (recorded with your name)")
    .option("--token-file <path>", "write the custom token to this file, readable by you only (0600), instead of printing it")
    .addHelpText(
      "after",
      "\nThe custom token is a secret: whoever holds it can sign in as the agent (within the hour), and stays signed in until the credential is revoked. It is shown once; Maestro does not keep it.",
    )
    .action(
      action<{ reason: string; tokenFile?: string }>(async (ctx, options, args) => {
        const strategyId = docIdArgument("<strategy>", args[0]);
        const reason = requireReason(options.reason);
        const tenantId = ctx.tenant();
        // The file is created before the credential exists: a path that cannot be written issues nothing.
        const file = options.tokenFile ? tokenFile(options.tokenFile) : null;
        let issued: IssueAgentCredentialResponse;
        try {
          const connection = await ctx.connect();
          issued = await ctx.out.spin("Issuing the agent's credential…", () =>
            connection.call<IssueAgentCredentialResponse>("issueAgentCredential", { tenant_id: tenantId, strategy_id: strategyId, reason }),
          );
        } catch (error) {
          file?.discard();
          throw error;
        }
        if (file) {
          try {
            file.write(`${issued.custom_token}\n`);
          } catch (error) {
            throw new CliError(
              EXIT.PROBLEM,
              `agent ${issued.agent_id} was issued but its token could not be written to ${options.tokenFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); revoke it: maestro agents revoke ${issued.agent_id} --reason "token lost"`,
            );
          }
        } else {
          ctx.out.note(ctx.out.noteColours.yellow("warning: the custom token printed is a secret: whoever holds it can sign in as this agent. Use --token-file to keep it off the terminal."));
        }
        // With --token-file the token stays in the file, out of the JSON too.
        const { custom_token: customToken, ...withoutToken } = issued;
        ctx.out.result(file ? { ...withoutToken, token_file: options.tokenFile } : issued, (c) =>
          [
            `${c.green("Issued")} agent ${c.bold(issued.agent_id)} for strategy ${issued.strategy_id} of ${tenantId}`,
            keyValues(
              [
                ["Status", statusText(issued.credential.status, c)],
                ["Issued", `${when(issued.credential.issued_at)} by ${issued.credential.issued_by}: ${issued.credential.issue_reason}`],
                file
                  ? ["Token", `written to ${options.tokenFile} (readable by you only); the agent signs in with it (signInWithCustomToken) within the hour`]
                  : ["Token", customToken],
              ],
              c,
            ),
          ].join("\n"),
        );
      }),
    );

  agents
    .command("revoke")
    .description("revoke an agent's credential: its next request is refused (revokeAgentCredential, admin)")
    .argument("<agent_id>", "the agent, as issue printed it (agent_{strategy}_{12 hex}); see maestro agents list")
    .requiredOption("--reason <text>", "why (recorded with your name)")
    .action(
      action<{ reason: string }>(async (ctx, options, args) => {
        const agentId = docIdArgument("<agent_id>", args[0]);
        const reason = requireReason(options.reason);
        const tenantId = ctx.tenant();
        const connection = await ctx.connect();
        const result = await ctx.out.spin("Revoking the agent's credential…", () =>
          connection.call<RevokeAgentCredentialResponse>("revokeAgentCredential", { tenant_id: tenantId, agent_id: agentId, reason }),
        );
        ctx.out.result(result, (c) =>
          `${c.red("Revoked")} agent ${c.bold(result.agent_id)} (strategy ${result.credential.strategy_id}) of ${tenantId} at ${when(result.credential.revoked_at)}: its next request is refused`,
        );
      }),
    );

  agents
    .command("list")
    .description("the agents' credentials, newest first, revoked ones too; never a token (listAgentCredentials, admin)")
    .option("--limit <n>", "at most this many (1 to 100)", "100")
    .action(
      action<{ limit: string }>(async (ctx, options) => {
        const limit = parseWholeNumber(options.limit, "--limit", 1, 100);
        const tenantId = ctx.tenant();
        const connection = await ctx.connect();
        const listed = await ctx.out.spin("Reading the agents' credentials…", () =>
          connection.call<ListAgentCredentialsResponse>("listAgentCredentials", { tenant_id: tenantId, limit }),
        );
        ctx.out.result(listed, (c) => {
          const malformed = Object.entries(listed.malformed).map(([id, why]) => c.yellow(`Left out ${id}: ${why}`));
          if (listed.agents.length === 0) return ["No agent credential issued yet (maestro agents issue <strategy> --reason …).", ...malformed].join("\n");
          const rows = listed.agents.map((a) => [
            a.agent_id,
            a.strategy_id,
            statusText(a.status, c),
            when(a.issued_at),
            clip(a.issued_by, 24),
            clip(a.status === "revoked" ? `revoked ${when(a.revoked_at)} by ${a.revoked_by}: ${a.revoke_reason}` : a.issue_reason, 60),
          ]);
          return [
            table([{ header: "Agent" }, { header: "Strategy" }, { header: "Status" }, { header: "Issued" }, { header: "By" }, { header: "Reason" }], rows, c),
            ...malformed,
          ].join("\n");
        });
      }),
    );
};
