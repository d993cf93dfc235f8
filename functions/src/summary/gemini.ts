/**
 * Executive summary from Gemini, with the caller's written summary as the fallback.
 *
 * `summarizeDecision` never throws and never outlives `timeoutMs`: every failure
 * (no key, disabled, HTTP error, network error, timeout, empty answer) returns the
 * written summary with a `fallback_reason`. The API key never appears in a result.
 *
 * Facts about @google/genai 2.32 this relies on (read from dist/node/index.cjs):
 * - Gemini API requests go to `POST {baseUrl}/v1beta/models/{model}:generateContent`
 *   with the key in the `x-goog-api-key` header.
 * - The SDK retries only when `httpOptions.retryOptions` is set (its defaults would
 *   then be 5 attempts with 1 s+ exponential backoff on 408/429/5xx, far beyond a
 *   summary deadline). We leave it unset: one attempt, so a 500 falls back at once.
 *   Setting `{ attempts: 1 }` would route the call through p-retry, which rewrites
 *   errors from another realm (Jest's sandbox) into "Non-error was thrown".
 * - Without a custom `fetch`, the SDK wraps Node's fetch in a dispatcher it finds
 *   through undici's process-global symbol; in a sandboxed realm (Jest's vm) that
 *   symbol is absent and every call fails with "fetch failed". We pass the global
 *   fetch ourselves: the SDK's dispatcher only lifts undici's 300 s header/body
 *   timeouts, which a summary deadline of seconds never reaches.
 * - `httpOptions.timeout` is a per-attempt deadline and `config.abortSignal` cancels
 *   the fetch; we use both, plus our own timer, which is the one that bounds the call.
 * - `automaticContinuation` (default on) may re-send the request when the model
 *   answers with a continuation token; it is turned off so one call is one request.
 */
import { ApiError, GoogleGenAI } from "@google/genai";

export interface SummaryRequest {
  /** Already built by the caller. */
  prompt: string;
  /** Deterministic fallback text, built by the caller. */
  writtenSummary: string;
  /** From a defineSecret at the call site; empty or undefined → no model call. */
  apiKey: string | undefined;
  /** e.g. "gemini-2.0-flash". */
  model: string;
  /** Config `ai_summary.enabled`. */
  enabled: boolean;
  timeoutMs: number;
  /** e.g. "http://127.0.0.1:9555" for tests and the emulator; undefined → SDK default. */
  baseUrl?: string;
}

export interface SummaryResult {
  text: string;
  source: "gemini" | "written";
  fallback_reason: string | null;
  latency_ms: number;
}

/** Longest summary we store; a model that rambles is cut, not rejected. */
export const SUMMARY_MAX_CHARS = 2000;
const ERROR_DETAIL_MAX_CHARS = 200;
/** setTimeout's ceiling (2^31-1 ms); larger values fire immediately. */
const MAX_TIMER_MS = 2_147_483_647;
/** Distinct (key, baseUrl) pairs kept; a rotated secret should not grow the map forever. */
const MAX_CACHED_CLIENTS = 8;

/** Warm function instances reuse one client per (apiKey, baseUrl). */
const clients = new Map<string, GoogleGenAI>();

export function clientFor(apiKey: string, configuredBaseUrl: string | undefined): GoogleGenAI {
  // An unset string param reads as "": that means the SDK's default endpoint, like undefined.
  const baseUrl = configuredBaseUrl?.trim() || undefined;
  const cacheKey = JSON.stringify([apiKey, baseUrl ?? null]);
  let client = clients.get(cacheKey);
  if (client === undefined) {
    if (clients.size >= MAX_CACHED_CLIENTS) clients.clear();
    client = new GoogleGenAI({
      apiKey,
      // Pin the Gemini API backend: GOOGLE_GENAI_USE_VERTEXAI in the environment must
      // not silently switch the call to Vertex AI and its credentials.
      vertexai: false,
      httpOptions: {
        ...(baseUrl !== undefined ? { baseUrl } : {}),
        fetch: (input, init) => fetch(input, init),
      },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Drops cached clients; for tests that need a fresh client. */
export function clearGeminiClientCache(): void {
  clients.clear();
}

export function capText(text: string): string {
  if (text.length <= SUMMARY_MAX_CHARS) return text;
  let cut = SUMMARY_MAX_CHARS - 1;
  // Do not split a surrogate pair (an emoji would become a lone, invalid code unit).
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + "…";
}

export function clampTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs)) return Number.isNaN(timeoutMs) ? 1 : MAX_TIMER_MS;
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.floor(timeoutMs)));
}

function redact(message: string, apiKey: string): string {
  return apiKey === "" ? message : message.split(apiKey).join("[redacted]");
}

/** One short line describing a failed call, safe to store and log. */
export function describeModelError(error: unknown, apiKey: string): string {
  let detail: string;
  if (error instanceof ApiError) {
    // The SDK puts the JSON error body in the message: {"error":{"code","message","status"}}.
    let rpcStatus = "";
    let message = error.message;
    try {
      const parsed = JSON.parse(error.message) as { error?: { status?: unknown; message?: unknown } };
      if (typeof parsed.error?.status === "string") rpcStatus = parsed.error.status;
      if (typeof parsed.error?.message === "string") message = parsed.error.message;
    } catch {
      // not JSON: keep the raw message
    }
    detail = `HTTP ${error.status}${rpcStatus ? ` ${rpcStatus}` : ""}: ${message}`;
  } else if (isErrorLike(error)) {
    // Undici reports the useful part ("connect ECONNREFUSED ...") in the cause of "fetch failed".
    const cause = isErrorLike(error.cause) ? ` (${error.cause.message})` : "";
    detail = `${error.name}: ${error.message}${cause}`;
  } else {
    detail = String(error);
  }
  detail = redact(detail.replace(/\s+/g, " ").trim(), apiKey);
  return detail.length > ERROR_DETAIL_MAX_CHARS ? detail.slice(0, ERROR_DETAIL_MAX_CHARS - 1) + "…" : detail;
}

/**
 * Duck-typed rather than `instanceof Error`: fetch's errors come from Node's own realm,
 * which is not the realm of the calling code under Jest's vm sandbox.
 */
function isErrorLike(value: unknown): value is { name: string; message: string; cause?: unknown } {
  return typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string";
}

/** An aborted fetch, possibly wrapped by the SDK ("exception AbortError ... sending request", cause = the abort). */
export function isAbort(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; isErrorLike(e) && depth < 3; e = e.cause, depth++) {
    if (e.name === "AbortError" || e.name === "TimeoutError") return true;
  }
  return false;
}

export async function summarizeDecision(req: SummaryRequest): Promise<SummaryResult> {
  const started = performance.now();
  const written = (fallback_reason: string): SummaryResult => ({
    text: req.writtenSummary,
    source: "written",
    fallback_reason,
    latency_ms: Math.round(performance.now() - started),
  });

  if (!req.enabled) return written("disabled");
  const apiKey = req.apiKey?.trim() ?? "";
  if (apiKey === "") return written("no_api_key");

  const timeoutMs = clampTimeout(req.timeoutMs);
  const timeoutReason = `timeout after ${timeoutMs}ms`;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve("timeout");
    }, timeoutMs);
  });

  try {
    const call = clientFor(apiKey, req.baseUrl).models.generateContent({
      model: req.model,
      contents: req.prompt,
      config: {
        abortSignal: abort.signal,
        httpOptions: { timeout: timeoutMs },
        automaticContinuation: false,
      },
    });
    // Promise.race subscribes to `call`, so its rejection after an abort is handled.
    const outcome = await Promise.race([call, timedOut]);
    if (outcome === "timeout") return written(timeoutReason);

    const text = outcome.text?.trim() ?? "";
    if (text === "") return written("empty_response");
    return {
      text: capText(text),
      source: "gemini",
      fallback_reason: null,
      latency_ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    // The SDK's own per-attempt timeout and our abort both surface as an AbortError.
    if (abort.signal.aborted || isAbort(error)) return written(timeoutReason);
    return written(`model_error: ${describeModelError(error, apiKey)}`);
  } finally {
    clearTimeout(timer);
    // Cancels a fetch still in flight (e.g. after a parse error) and releases the SDK's listeners.
    abort.abort();
  }
}
