/**
 * The client API's request contract: each callable's payload is parsed strictly, with the
 * documented defaults, and a refusal names the field and the rule; the log-list cursor
 * round-trips and anything that is not one of its cursors decodes to null.
 */
import { parseWithReason } from "../../src/schemas";
import {
  GetOrchestrationRequestSchema,
  ListOrchestrationLogsRequestSchema,
  SetStrategyModeRequestSchema,
  UpdateMaestroConfigRequestSchema,
} from "../../src/schemas/api";
import { decodeLogCursor, encodeLogCursor } from "../../src/stages/client-queries";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("log cursor", () => {
  test("encode then decode returns the timestamp and log id", () => {
    const timestamp = "2026-11-16T15:00:00.000Z";
    const logId = "2026-11-16T15:00:00.000Z_maestro_1763305200000_0123456789abcdef";
    const cursor = encodeLogCursor(timestamp, logId);
    expect(decodeLogCursor(cursor)).toEqual([timestamp, logId]);
  });

  test("the cursor is URL-safe base64 of the JSON pair", () => {
    const cursor = encodeLogCursor("a?>", "b~~~");
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(cursor, "base64url").toString("utf8")).toBe('["a?>","b~~~"]');
    expect(decodeLogCursor(cursor)).toEqual(["a?>", "b~~~"]);
  });

  test("non-ASCII and quotes survive the round trip", () => {
    expect(decodeLogCursor(encodeLogCursor('é "x"', "ü/ß"))).toEqual(['é "x"', "ü/ß"]);
  });

  test("garbage decodes to null", () => {
    const garbage = [
      "abc",
      "",
      b64("{}"),
      b64("[1,2]"),
      b64('["a"]'),
      b64('["a","b","c"]'),
      b64('["","b"]'),
      b64('["a",""]'),
      b64('["a",2]'),
      b64("null"),
      b64('"a"'),
      b64('{"0":"a","1":"b","length":2}'),
    ];
    for (const cursor of garbage) expect([cursor, decodeLogCursor(cursor)]).toEqual([cursor, null]);
  });
});

describe("setStrategyMode request", () => {
  const valid = { tenant_id: "tenant-1", strategy_id: "mean_reversion", mode: "DISABLED", reason: "drawdown too deep" };

  test("accepts DISABLED and AUTOMATIC", () => {
    expect(parseWithReason(SetStrategyModeRequestSchema, valid)).toEqual({ ok: true, value: valid });
    expect(parseWithReason(SetStrategyModeRequestSchema, { ...valid, mode: "AUTOMATIC" })).toEqual({ ok: true, value: { ...valid, mode: "AUTOMATIC" } });
  });

  test("any other mode is refused, naming mode", () => {
    for (const mode of ["ACTIVE", "SHADOW_MODE", "disabled", ""]) {
      expect(parseWithReason(SetStrategyModeRequestSchema, { ...valid, mode })).toEqual({
        ok: false,
        reason: `mode: must be DISABLED or AUTOMATIC (got ${JSON.stringify(mode)})`,
      });
    }
  });

  test("reason is required", () => {
    const { reason: _omit, ...noReason } = valid;
    expect(parseWithReason(SetStrategyModeRequestSchema, noReason)).toEqual({ ok: false, reason: "reason: is required" });
  });

  test("reason is trimmed", () => {
    const result = parseWithReason(SetStrategyModeRequestSchema, { ...valid, reason: "   drawdown too deep \n" });
    expect(result).toEqual({ ok: true, value: valid });
  });

  test("reason must be at least 3 characters after trimming", () => {
    const short = parseWithReason(SetStrategyModeRequestSchema, { ...valid, reason: "   ab   " });
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.reason).toMatch(/^reason: must say why \(at least 3 characters\)/);
    expect(parseWithReason(SetStrategyModeRequestSchema, { ...valid, reason: "  abc  " })).toEqual({ ok: true, value: { ...valid, reason: "abc" } });
  });

  test("an unknown key is refused, naming the key", () => {
    expect(parseWithReason(SetStrategyModeRequestSchema, { ...valid, force: true })).toEqual({ ok: false, reason: "force: is not a known field" });
  });
});

describe("updateMaestroConfig request", () => {
  const valid = { tenant_id: "tenant-1", changes: { systemic_sell_threshold: 4 }, reason: "fewer sellers make a crash" };

  test("accepts a change with a reason, and an optional expected_version", () => {
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, valid)).toEqual({ ok: true, value: valid });
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, { ...valid, expected_version: 0 })).toEqual({ ok: true, value: { ...valid, expected_version: 0 } });
  });

  test("changes must change at least one field", () => {
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, { ...valid, changes: {} })).toEqual({
      ok: false,
      reason: "changes: must change at least one field",
    });
  });

  test("changes is required and must be an object", () => {
    const { changes: _omit, ...noChanges } = valid;
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, noChanges)).toEqual({ ok: false, reason: "changes: is required" });
    const notObject = parseWithReason(UpdateMaestroConfigRequestSchema, { ...valid, changes: "lookback_days=10" });
    expect(notObject).toEqual({ ok: false, reason: 'changes: must be an object of config fields (got "lookback_days=10")' });
  });

  test("expected_version must be a non-negative whole number", () => {
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, { ...valid, expected_version: -1 })).toEqual({
      ok: false,
      reason: "expected_version: must be at least 0 (got -1)",
    });
  });

  test("reason is required here too, and unknown keys are refused", () => {
    const { reason: _omit, ...noReason } = valid;
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, noReason)).toEqual({ ok: false, reason: "reason: is required" });
    expect(parseWithReason(UpdateMaestroConfigRequestSchema, { ...valid, version: 3 })).toEqual({ ok: false, reason: "version: is not a known field" });
  });
});

describe("listOrchestrationLogs request", () => {
  test("defaults: page_size 20, cursor null, systemic_only false", () => {
    expect(parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1" })).toEqual({
      ok: true,
      value: { tenant_id: "tenant-1", page_size: 20, cursor: null, systemic_only: false },
    });
  });

  test("page_size 1 and 100 are the bounds", () => {
    for (const page_size of [1, 100]) {
      const result = parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", page_size });
      expect(result.ok && result.value.page_size).toBe(page_size);
    }
  });

  test("page_size 0 and 101 are refused, naming page_size", () => {
    expect(parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", page_size: 0 })).toEqual({
      ok: false,
      reason: "page_size: must be at least 1 (got 0)",
    });
    expect(parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", page_size: 101 })).toEqual({
      ok: false,
      reason: "page_size: must be at most 100 (got 101)",
    });
  });

  test("page_size must be a whole number", () => {
    const result = parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", page_size: 2.5 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^page_size: /);
  });

  test("a given cursor and systemic_only are kept; an empty cursor is refused", () => {
    const cursor = encodeLogCursor("2026-11-16T15:00:00.000Z", "log-1");
    expect(parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", cursor, systemic_only: true })).toEqual({
      ok: true,
      value: { tenant_id: "tenant-1", page_size: 20, cursor, systemic_only: true },
    });
    expect(parseWithReason(ListOrchestrationLogsRequestSchema, { tenant_id: "tenant-1", cursor: "" })).toEqual({
      ok: false,
      reason: 'cursor: must not be empty (got "")',
    });
  });
});

describe("getOrchestration request", () => {
  const sessionId = "maestro_1763305200000_0123456789abcdef";

  test("accepts maestro_{13 digits}_{16 lowercase hex}", () => {
    expect(parseWithReason(GetOrchestrationRequestSchema, { tenant_id: "tenant-1", session_id: sessionId })).toEqual({
      ok: true,
      value: { tenant_id: "tenant-1", session_id: sessionId },
    });
  });

  test("anything else is refused, naming session_id", () => {
    const bad = [
      "maestro_176330520000_0123456789abcdef", // 12 digits
      "maestro_17633052000000_0123456789abcdef", // 14 digits
      "maestro_1763305200000_0123456789abcde", // 15 hex
      "maestro_1763305200000_0123456789abcdef0", // 17 hex
      "maestro_1763305200000_0123456789ABCDEF", // upper-case hex
      "maestro_1763305200000_0123456789abcdeg", // not hex
      "session_1763305200000_0123456789abcdef", // wrong prefix
      ` ${sessionId}`,
      `${sessionId}\n`,
      "",
    ];
    for (const session_id of bad) {
      expect(parseWithReason(GetOrchestrationRequestSchema, { tenant_id: "tenant-1", session_id })).toEqual({
        ok: false,
        reason: `session_id: must be a session id, maestro_{epoch ms}_{16 hex} (got ${JSON.stringify(session_id)})`,
      });
    }
  });

  test("session_id is required", () => {
    expect(parseWithReason(GetOrchestrationRequestSchema, { tenant_id: "tenant-1" })).toEqual({ ok: false, reason: "session_id: is required" });
  });
});
