/**
 * Ask-Maestro's answers from Gemini by function calling (issue 13): the model is given the
 * question, the conversation's last turns, the read tools (each one of the client API's read
 * callables, run through the front door by the caller's `execute`) and the specialist's
 * reads already made, as function calls and their responses. It may ask for more reads,
 * up to `maxRounds`, then writes the answer. Like summarizeDecision it never throws and
 * never outlives `timeoutMs` (one deadline for all rounds): on any failure it returns the
 * reason, and the caller answers with its written template.
 */
import { Type, type Content, type FunctionDeclaration } from "@google/genai";
import { capText, clampTimeout, clientFor, describeModelError, isAbort } from "./gemini";

export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
  response: unknown;
}

export interface AskModelRequest {
  apiKey: string | undefined;
  model: string;
  enabled: boolean;
  timeoutMs: number;
  baseUrl?: string;
  question: string;
  /** Earlier turns, oldest first. */
  history: readonly { message: string; answer: string }[];
  /** The specialist's reads, offered to the model as calls it made. */
  initialCalls: readonly ToolCall[];
  /** Runs a read tool the model asks for (through the front door); its error is returned to the model. */
  execute: (name: string, args: Record<string, unknown>) => Promise<unknown>;
  maxRounds?: number;
}

export type AskModelResult = { ok: true; text: string; calls: ToolCall[] } | { ok: false; reason: string; calls: ToolCall[] };

/** The read tools, by the callable each runs. Arguments are the callable's, less tenant_id. */
export const READ_TOOLS: Readonly<Record<string, { callable: string; declaration: FunctionDeclaration }>> = {
  get_strategy_weights: {
    callable: "getStrategyWeights",
    declaration: { name: "get_strategy_weights", description: "Each strategy's current mode, weight, Sharpe ratio, drawdown and the reasoning; the portfolio allocation method." },
  },
  get_strategy_performance: {
    callable: "getStrategyPerformance",
    declaration: {
      name: "get_strategy_performance",
      description: "Daily P&L and metrics (return, Sharpe, drawdown, win rate) of each strategy, or one, over its last period_days trading days.",
      parameters: {
        type: Type.OBJECT,
        properties: {
          period_days: { type: Type.INTEGER, description: "Trading days, 1 to 365 (default 30)." },
          strategy_id: { type: Type.STRING, description: "One strategy's id; omit for all." },
        },
      },
    },
  },
  get_desk_status: {
    callable: "getDeskStatus",
    declaration: { name: "get_desk_status", description: "Today's trading session (state, transitions, trades, equity), its risk locks, the health check's verdict, the last orchestration and the log chain's verification." },
  },
  get_maestro_config: {
    callable: "getMaestroConfig",
    declaration: { name: "get_maestro_config", description: "The tenant's configuration in force, its version and who changed it last." },
  },
  list_orchestration_logs: {
    callable: "listOrchestrationLogs",
    declaration: {
      name: "list_orchestration_logs",
      description: "The newest logged orchestration cycles with their counts and summaries.",
      parameters: {
        type: Type.OBJECT,
        properties: {
          page_size: { type: Type.INTEGER, description: "1 to 100 (default 20)." },
          systemic_only: { type: Type.BOOLEAN, description: "Only cycles where the systemic-risk override fired." },
        },
      },
    },
  },
  get_orchestration: {
    callable: "getOrchestration",
    declaration: {
      name: "get_orchestration",
      description: "One orchestration cycle in full: every signal with the interventions each step made and why.",
      parameters: { type: Type.OBJECT, properties: { session_id: { type: Type.STRING, description: "maestro_{epoch ms}_{16 hex}" } }, required: ["session_id"] },
    },
  },
  list_allocation_history: {
    callable: "listAllocationHistory",
    declaration: {
      name: "list_allocation_history",
      description: "The portfolio allocation's rebalances, newest first: who or what, why, the shares before and after.",
      parameters: { type: Type.OBJECT, properties: { limit: { type: Type.INTEGER, description: "1 to 200 (default 20)." } } },
    },
  },
};

/** The tool name that runs a callable. */
export function toolFor(callable: string): string | undefined {
  return Object.entries(READ_TOOLS).find(([, t]) => t.callable === callable)?.[0];
}

const INSTRUCTION = [
  "You are Maestro, the assistant of a trading desk's operators. Answer the question from the tool results only.",
  "Be brief and exact: name the strategies, numbers, codes and times as the data gives them; never invent a figure.",
  "If the data does not answer the question, say so and say what would. Never claim to have changed anything.",
].join(" ");

export async function answerWithModel(req: AskModelRequest): Promise<AskModelResult> {
  const calls: ToolCall[] = [...req.initialCalls];
  if (!req.enabled) return { ok: false, reason: "disabled", calls };
  const apiKey = req.apiKey?.trim() ?? "";
  if (apiKey === "") return { ok: false, reason: "no_api_key", calls };

  const timeoutMs = clampTimeout(req.timeoutMs);
  const deadline = Date.now() + timeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const contents: Content[] = [];
  for (const turn of req.history) {
    contents.push({ role: "user", parts: [{ text: turn.message }] }, { role: "model", parts: [{ text: turn.answer }] });
  }
  contents.push({ role: "user", parts: [{ text: req.question }] });
  if (req.initialCalls.length > 0) {
    contents.push({ role: "model", parts: req.initialCalls.map((c) => ({ functionCall: { name: c.name, args: c.args } })) });
    contents.push({ role: "user", parts: req.initialCalls.map((c) => ({ functionResponse: { name: c.name, response: { result: c.response } } })) });
  }
  try {
    for (let round = 0; round <= (req.maxRounds ?? 2); round++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { ok: false, reason: `timeout after ${timeoutMs}ms`, calls };
      const response = await clientFor(apiKey, req.baseUrl).models.generateContent({
        model: req.model,
        contents,
        config: {
          systemInstruction: INSTRUCTION,
          tools: [{ functionDeclarations: Object.values(READ_TOOLS).map((t) => t.declaration) }],
          abortSignal: abort.signal,
          httpOptions: { timeout: remaining },
          automaticContinuation: false,
        },
      });
      const wanted = response.functionCalls ?? [];
      if (wanted.length === 0) {
        const text = response.text?.trim() ?? "";
        return text === "" ? { ok: false, reason: "empty_response", calls } : { ok: true, text: capText(text), calls };
      }
      if (round === (req.maxRounds ?? 2)) return { ok: false, reason: `the model asked for more than ${req.maxRounds ?? 2} rounds of reads`, calls };
      contents.push({ role: "model", parts: wanted.map((f) => ({ functionCall: { name: f.name, args: f.args } })) });
      const results = await Promise.all(
        wanted.map(async (f) => {
          const name = f.name ?? "";
          const args = (f.args ?? {}) as Record<string, unknown>;
          let result: unknown;
          try {
            result = READ_TOOLS[name] ? await req.execute(name, args) : { error: `no tool named '${name}'` };
          } catch (error) {
            result = { error: error instanceof Error ? error.message : String(error) };
          }
          calls.push({ name, args, response: result });
          return { functionResponse: { name, response: { result } } };
        }),
      );
      contents.push({ role: "user", parts: results });
    }
    return { ok: false, reason: "no answer", calls };
  } catch (error) {
    if (abort.signal.aborted || isAbort(error)) return { ok: false, reason: `timeout after ${timeoutMs}ms`, calls };
    return { ok: false, reason: `model_error: ${describeModelError(error, apiKey)}`, calls };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
