/**
 * A loopback stand-in for the Gemini REST API, so the real @google/genai client
 * (request building, headers, response parsing, error mapping) runs without the
 * network. It answers `POST /{apiVersion}/models/{model}:generateContent`, the path
 * @google/genai 2.x calls for the Gemini API backend (apiVersion "v1beta" by default).
 *
 * Used by the unit tests on an ephemeral port, and by the emulator tests on a fixed
 * port that the functions running in the emulator are configured to call.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FakeGeminiMode =
  | { kind: "success"; text: string }
  | { kind: "error"; status: number; message?: string }
  | { kind: "slow"; delayMs: number; text: string }
  /** `no_candidates` (default): `{ candidates: [] }`; `blank_text`: one candidate whose only part is `""`. */
  | { kind: "empty"; shape?: "no_candidates" | "blank_text" }
  /**
   * One reply per request, in order (function calling): a reply is either function calls
   * the model makes or its text. Past the last reply the server answers 500.
   */
  | { kind: "script"; replies: FakeGeminiReply[] };

export type FakeGeminiReply = { calls: { name: string; args: Record<string, unknown> }[] } | { text: string };

export interface FakeGeminiRequest {
  method: string;
  url: string;
  /** The model segment of a generateContent path, e.g. "gemini-2.0-flash"; undefined for other paths. */
  model: string | undefined;
  /** The `x-goog-api-key` header, which is how the SDK sends a Gemini API key. */
  apiKey: string | undefined;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
}

export interface FakeGemini {
  /** Base URL to hand to the SDK as `httpOptions.baseUrl`, e.g. "http://127.0.0.1:9555". */
  url: string;
  port: number;
  requests: FakeGeminiRequest[];
  setMode(mode: FakeGeminiMode): void;
  /** Forget recorded requests and go back to the default mode (success, "fake summary"). */
  reset(): void;
  /** Stops listening, cancels delayed answers and destroys open sockets so nothing keeps the process alive. */
  close(): Promise<void>;
}

const GENERATE_CONTENT_PATH = /^\/(v1beta|v1alpha|v1)\/models\/([^/:?]+):generateContent(?:\?.*)?$/;
const DEFAULT_MODE: FakeGeminiMode = { kind: "success", text: "fake summary" };

/** Google API error envelope status names (google.rpc.Code) for the HTTP codes the API returns. */
const RPC_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "DEADLINE_EXCEEDED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

function successBody(model: string | undefined, text: string): unknown {
  return {
    candidates: [
      {
        content: { role: "model", parts: [{ text }] },
        finishReason: "STOP",
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model ?? "unknown",
  };
}

function functionCallBody(model: string | undefined, calls: { name: string; args: Record<string, unknown> }[]): unknown {
  return {
    candidates: [{ content: { role: "model", parts: calls.map((c) => ({ functionCall: { name: c.name, args: c.args } })) }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model ?? "unknown",
  };
}

function errorBody(status: number, message: string): unknown {
  return { error: { code: status, message, status: RPC_STATUS[status] ?? "UNKNOWN" } };
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const json = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(json),
  });
  res.end(json);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function startFakeGemini(port = 0): Promise<FakeGemini> {
  let mode: FakeGeminiMode = DEFAULT_MODE;
  let scriptPosition = 0;
  const requests: FakeGeminiRequest[] = [];
  const sockets = new Set<Socket>();
  const pendingAnswers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw;
      try {
        body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        // keep the raw text so a test can see what was sent
      }
      const match = GENERATE_CONTENT_PATH.exec(req.url ?? "");
      const model = match ? decodeURIComponent(match[2]) : undefined;
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        model,
        apiKey: headerValue(req.headers["x-goog-api-key"]),
        body,
      });

      if (req.method !== "POST" || !match) {
        sendJson(res, 404, errorBody(404, `fake-gemini: no route for ${req.method} ${req.url}`));
        return;
      }
      // Read the mode when the request arrives, so a test changing it later does not
      // alter an answer already under way.
      const current = mode;
      switch (current.kind) {
        case "success":
          sendJson(res, 200, successBody(model, current.text));
          return;
        case "error":
          sendJson(res, current.status, errorBody(current.status, current.message ?? "fake-gemini: injected error"));
          return;
        case "empty":
          sendJson(
            res,
            200,
            current.shape === "blank_text"
              ? successBody(model, "")
              : { candidates: [], usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 } },
          );
          return;
        case "script": {
          const reply = current.replies[scriptPosition++];
          if (!reply) sendJson(res, 500, errorBody(500, "fake-gemini: the script has no more replies"));
          else sendJson(res, 200, "calls" in reply ? functionCallBody(model, reply.calls) : successBody(model, reply.text));
          return;
        }
        case "slow": {
          const timer = setTimeout(() => {
            pendingAnswers.delete(timer);
            sendJson(res, 200, successBody(model, current.text));
          }, current.delayMs);
          pendingAnswers.add(timer);
          // The client gave up (abort/timeout): drop the delayed answer.
          res.on("close", () => {
            clearTimeout(timer);
            pendingAnswers.delete(timer);
          });
          return;
        }
      }
    });
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const boundPort = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    requests,
    setMode(next) {
      mode = next;
      scriptPosition = 0;
    },
    reset() {
      requests.length = 0;
      mode = DEFAULT_MODE;
      scriptPosition = 0;
    },
    close() {
      for (const timer of pendingAnswers) clearTimeout(timer);
      pendingAnswers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections from the SDK's fetch would otherwise hold server.close() open.
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return closed;
    },
  };
}
