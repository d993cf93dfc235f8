/**
 * The Gemini summary adapter against the real @google/genai client, pointed at a
 * loopback fake of the Gemini REST API.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { SummaryRequest, summarizeDecision } from "../../src/summary/gemini";
import { FakeGemini, startFakeGemini } from "../support/fake-gemini-server";

const API_KEY = "test-key-DO-NOT-LEAK-4242";
const WRITTEN = "Written summary: allocation unchanged, risk within limits.";
const PROMPT = "Summarise decision d-17 for tenant t-1: SHADOW_MODE because Sharpe 0.31 < 0.5.";

let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function request(overrides: Partial<SummaryRequest> = {}): SummaryRequest {
  return {
    prompt: PROMPT,
    writtenSummary: WRITTEN,
    apiKey: API_KEY,
    model: "gemini-2.0-flash",
    enabled: true,
    timeoutMs: 3000,
    baseUrl: fake.url,
    ...overrides,
  };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("summarizeDecision with a model answer", () => {
  it("returns the model's trimmed text and sends prompt, model and key to the API", async () => {
    fake.setMode({ kind: "success", text: "  Hold allocations; the Sharpe gate put the book in shadow mode.\n" });

    const result = await summarizeDecision(request());

    expect(result).toMatchObject({
      text: "Hold allocations; the Sharpe gate put the book in shadow mode.",
      source: "gemini",
      fallback_reason: null,
    });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe("/v1beta/models/gemini-2.0-flash:generateContent");
    expect(sent.model).toBe("gemini-2.0-flash");
    expect(sent.apiKey).toBe(API_KEY);
    // The key travels only as a header, never in the URL or the body.
    expect(sent.url).not.toContain(API_KEY);
    expect(JSON.stringify(sent.body)).not.toContain(API_KEY);
    expect(sent.body.contents).toEqual([{ role: "user", parts: [{ text: PROMPT }] }]);
  });

  it("caps a long answer at 2,000 characters", async () => {
    const long = "A".repeat(1500) + "B".repeat(1500);
    fake.setMode({ kind: "success", text: long });

    const result = await summarizeDecision(request());

    expect(result.source).toBe("gemini");
    expect(result.text).toHaveLength(2000);
    expect(result.text).toBe("A".repeat(1500) + "B".repeat(499) + "…");
  });

  it("uses the key of each call, not one cached from an earlier call", async () => {
    fake.setMode({ kind: "success", text: "ok" });

    await summarizeDecision(request({ apiKey: "key-one" }));
    await summarizeDecision(request({ apiKey: "key-two" }));
    await summarizeDecision(request({ apiKey: "key-one" }));

    expect(fake.requests.map((r) => r.apiKey)).toEqual(["key-one", "key-two", "key-one"]);
  });
});

describe("summarizeDecision falls back to the written summary", () => {
  it.each([500, 429, 503])("on HTTP %i, after a single request (no SDK retries)", async (status) => {
    fake.setMode({ kind: "error", status });

    const result = await summarizeDecision(request());

    expect(result.source).toBe("written");
    expect(result.text).toBe(WRITTEN);
    expect(result.fallback_reason).toMatch(new RegExp(`^model_error: HTTP ${status}\\b`));
    expect(fake.requests).toHaveLength(1);
  });

  it("when the answer is slower than timeoutMs", async () => {
    // Far beyond both timeoutMs and jest's 5 s test timeout: only our own deadline can end this test in time.
    fake.setMode({ kind: "slow", delayMs: 30_000, text: "too late" });

    const result = await summarizeDecision(request({ timeoutMs: 150 }));

    expect(result).toMatchObject({ source: "written", text: WRITTEN, fallback_reason: "timeout after 150ms" });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ["no candidates", { kind: "empty", shape: "no_candidates" }],
    ["an empty text part", { kind: "empty", shape: "blank_text" }],
    ["whitespace-only text", { kind: "success", text: " \n\t " }],
  ] as const)("when the model returns %s", async (_label, mode) => {
    fake.setMode(mode);

    const result = await summarizeDecision(request());

    expect(result).toMatchObject({ source: "written", text: WRITTEN, fallback_reason: "empty_response" });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([undefined, "", "   "])("without calling the model when the key is %p", async (apiKey) => {
    const result = await summarizeDecision(request({ apiKey }));

    expect(result).toMatchObject({ source: "written", text: WRITTEN, fallback_reason: "no_api_key" });
    expect(fake.requests).toHaveLength(0);
  });

  it("without calling the model when disabled, even with a key", async () => {
    const result = await summarizeDecision(request({ enabled: false }));

    expect(result).toMatchObject({ source: "written", text: WRITTEN, fallback_reason: "disabled" });
    expect(fake.requests).toHaveLength(0);
  });

  it("when nothing listens at the base URL", async () => {
    const port = await closedPort();

    const result = await summarizeDecision(request({ baseUrl: `http://127.0.0.1:${port}` }));

    expect(result.source).toBe("written");
    expect(result.text).toBe(WRITTEN);
    expect(result.fallback_reason).toMatch(/^model_error: /);
  });

  it("without the key in the reason, even when the API echoes it back", async () => {
    fake.setMode({ kind: "error", status: 400, message: `API key ${API_KEY} not valid. Please pass a valid API key.` });

    const result = await summarizeDecision(request());

    expect(result.fallback_reason).toMatch(/^model_error: HTTP 400 INVALID_ARGUMENT: API key \[redacted\] not valid/);
    expect(result.fallback_reason).not.toContain(API_KEY);
    expect(JSON.stringify(result)).not.toContain(API_KEY);
  });
});
