/**
 * Ask-Maestro from the terminal: `maestro ask "…"` (one question; by default it continues
 * your last conversation on this target and tenant, so a follow-up keeps its context) and
 * `maestro chat` (a conversation, one line per question, until "exit" or end of input).
 * Both call askMaestro as the signed-in user; an action is proposed and done only when you
 * answer "yes" to it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { CommandContext, CommandModule } from "../app";
import type { Connection } from "../connection";
import { CliError, EXIT, type ExitCode } from "../exit-codes";
import type { Palette } from "../format";
import type { AskMaestroResponse } from "../../schemas/api";

/** The last conversation per target, tenant and user: where `maestro ask` continues. */
function conversationsFile(ctx: CommandContext): string {
  return join(ctx.configDir(), "conversations.json");
}

function conversationKey(ctx: CommandContext, connection: Connection, tenantId: string): string {
  return `${ctx.target().profile}/${tenantId}/${connection.identity.uid}`;
}

function readLastConversations(file: string): Record<string, string> {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function rememberConversation(ctx: CommandContext, key: string, id: string): void {
  const file = conversationsFile(ctx);
  mkdirSync(ctx.configDir(), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ ...readLastConversations(file), [key]: id }, null, 2)}\n`, { mode: 0o600 });
}

/** The answer for a person: the text, then what answered it and with what, dimmed. */
export function renderAnswer(r: AskMaestroResponse, c: Palette): string {
  const lines = r.answer.split("\n");
  const sources = lines[lines.length - 1]?.startsWith("Sources:") ? lines.pop()! : null;
  const out = [...lines];
  if (r.pending_action) out.push(c.yellow(`→ Reply "yes" to ${r.pending_action.description}, or "no" (until ${r.pending_action.expires_at}).`));
  if (r.action_result) out.push(r.action_result.status === "done" ? c.green(`✔ ${r.action_result.callable} done`) : c.yellow(`✘ ${r.action_result.callable} ${r.action_result.status}`));
  const meta = [`${r.intent} (${r.selection_ms.toFixed(2)} ms)`, r.answer_source === "gemini" ? "written by Gemini" : "written from templates", ...(r.fallback_reason ? [`model: ${r.fallback_reason}`] : [])];
  out.push(c.dim(`${sources ?? "Sources: none."}  [${meta.join(" · ")}]`));
  return out.join("\n");
}

async function askOnce(connection: Connection, tenantId: string, message: string, conversationId: string | null): Promise<AskMaestroResponse> {
  return connection.call<AskMaestroResponse>("askMaestro", { tenant_id: tenantId, message, ...(conversationId ? { conversation_id: conversationId } : {}) });
}

export const askCommands: CommandModule = (program, action) => {
  program
    .command("ask")
    .description("ask Maestro a question in plain language (askMaestro); continues your last conversation unless --new")
    .argument("<message...>", 'the question, e.g. "why did Maestro cut Gamma Scalper?"')
    .option("--new", "start a new conversation")
    .option("--conversation <id>", "continue this conversation")
    .action(
      action<{ new?: boolean; conversation?: string }>(async (ctx, options, args) => {
        const message = args.join(" ").trim();
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const key = conversationKey(ctx, connection, tenantId);
        const continued = options.conversation ?? (options.new ? null : (readLastConversations(conversationsFile(ctx))[key] ?? null));
        let response: AskMaestroResponse;
        try {
          response = await ctx.out.spin("Asking Maestro…", () => askOnce(connection, tenantId, message, continued));
        } catch (error) {
          // A remembered conversation that is gone (or another user's) is not the user's mistake: start afresh.
          if (!(error instanceof CliError) || options.conversation || !continued || !/conversation_id:/.test(error.message)) throw error;
          response = await ctx.out.spin("Asking Maestro…", () => askOnce(connection, tenantId, message, null));
        }
        rememberConversation(ctx, key, response.conversation_id);
        ctx.out.result(response, (c) => renderAnswer(response, c));
        return EXIT.OK;
      }),
    );

  program
    .command("chat")
    .description('a conversation with Maestro: one question per line, "exit" to leave (askMaestro)')
    .option("--conversation <id>", "continue this conversation")
    .action(
      action<{ conversation?: string }>(async (ctx, options) => {
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const key = conversationKey(ctx, connection, tenantId);
        let conversationId = options.conversation ?? null;
        let exitCode: ExitCode = EXIT.OK;
        const interactive = process.stdin.isTTY === true;
        const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
        if (interactive && !ctx.out.json) ctx.out.print(ctx.out.colours.dim(`Ask about weights, performance, the session, logs, config or a decision. "exit" to leave.`));
        rl.setPrompt(ctx.out.colours.cyan("maestro› "));
        const prompt = () => {
          if (interactive) rl.prompt();
        };
        prompt();
        for await (const line of rl) {
          const message = line.trim();
          if (message === "") {
            prompt();
            continue;
          }
          if (/^(exit|quit|\\q|bye)$/i.test(message)) break;
          try {
            const response = await ctx.out.spin("…", () => askOnce(connection, tenantId, message, conversationId));
            conversationId = response.conversation_id;
            rememberConversation(ctx, key, conversationId);
            if (ctx.out.json) ctx.out.writeJson(response);
            else ctx.out.print(`${renderAnswer(response, ctx.out.colours)}\n`);
          } catch (error) {
            if (!(error instanceof CliError)) throw error;
            exitCode = error.exitCode;
            if (ctx.out.json) ctx.out.writeJson({ error: { exit_code: error.exitCode, status: error.status, message: error.message } });
            else ctx.out.error(error.message);
          }
          prompt();
        }
        rl.close();
        return exitCode;
      }),
    );
};
