import { colourEnabled, fixed, money, palette, pct, sparkline, table, visibleLength, when } from "../../src/cli/format";
import { nestedPatch, parseConfigKey, parseConfigValue, parsePeriodDays, parseWholeNumber } from "../../src/cli/parse";
import { CliError, EXIT, exitCodeForStatus } from "../../src/cli/exit-codes";
import { resolveTarget, callableUrl, authUrls } from "../../src/cli/target";
import { statusText } from "../../src/cli/commands/desk";
import { newTradingSession } from "../../src/store/trading-sessions";
import { ALWAYS_OPEN_HOURS } from "../../src/tools/emulator-client";

describe("tables for people", () => {
  test("columns are as wide as their widest cell; numbers right-aligned so the decimals line up", () => {
    const out = table([{ header: "Strategy" }, { header: "P&L", align: "right" }], [["Gamma", "$1,234.50"], ["Mean Reversion", "-$20.00"]]);
    expect(out.split("\n")).toEqual([
      "Strategy              P&L",
      "──────────────  ─────────",
      "Gamma           $1,234.50",
      "Mean Reversion    -$20.00",
    ]);
  });

  test("colour escapes do not count towards a cell's width", () => {
    const c = palette(true);
    const coloured = table([{ header: "Mode" }, { header: "W", align: "right" }], [[c.green("ACTIVE"), "1.00"], ["REDUCED", "0.50"]], c);
    const plain = table([{ header: "Mode" }, { header: "W", align: "right" }], [["ACTIVE", "1.00"], ["REDUCED", "0.50"]]);
    expect(coloured).toContain("\x1b[32m");
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, "")).toBe(plain);
    expect(visibleLength(c.red("abc"))).toBe(3);
  });
});

describe("numbers", () => {
  test("money has two decimals and thousands separators; a loss carries its sign before the $", () => {
    expect(money(1234.5)).toBe("$1,234.50");
    expect(money(-20)).toBe("-$20.00");
    expect(money(-0.001)).toBe("$0.00");
    expect(money(null)).toBe("–");
  });
  test("fractions print as percentages", () => {
    expect(pct(0.1234)).toBe("12.34%");
    expect(pct(-0.037, 1)).toBe("-3.7%");
    expect(fixed(2.604)).toBe("2.60");
    expect(when("2026-11-20T14:31:05.123Z")).toBe("2026-11-20 14:31:05Z");
  });
});

describe("sparkline", () => {
  test("the least value is ▁, the greatest █, in between by eighths", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([10, 0, 10])).toBe("█▁█");
  });
  test("a flat series sits in the middle; a long one keeps its most recent values", () => {
    expect(sparkline([5, 5, 5])).toBe("▄▄▄");
    expect(sparkline([0, 100, 0, 1], 2)).toBe("▁█");
    expect(sparkline([])).toBe("");
  });
});

describe("colour only for a person at a terminal", () => {
  const base = { isTTY: true, noColorFlag: false, json: false, env: {} as NodeJS.ProcessEnv };
  test("a TTY gets colour; a pipe, --json, --no-color and NO_COLOR do not", () => {
    expect(colourEnabled(base)).toBe(true);
    expect(colourEnabled({ ...base, isTTY: false })).toBe(false);
    expect(colourEnabled({ ...base, json: true })).toBe(false);
    expect(colourEnabled({ ...base, noColorFlag: true })).toBe(false);
    expect(colourEnabled({ ...base, env: { NO_COLOR: "1" } })).toBe(false);
    expect(colourEnabled({ ...base, isTTY: false, env: { FORCE_COLOR: "1" } })).toBe(true);
  });
});

describe("arguments", () => {
  test("periods: days, weeks, 30-day months, years", () => {
    expect(parsePeriodDays("7d")).toBe(7);
    expect(parsePeriodDays("2w")).toBe(14);
    expect(parsePeriodDays("3m")).toBe(90);
    expect(parsePeriodDays("30")).toBe(30);
    expect(() => parsePeriodDays("a week")).toThrow(/--period: must be a number of days/);
    expect(() => parsePeriodDays("2y")).toThrow(/between 1 day and 365 days/);
    try {
      parsePeriodDays("0d");
    } catch (error) {
      expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    }
  });

  test("config keys and values become the nested patch updateMaestroConfig merges", () => {
    expect(nestedPatch(parseConfigKey("allocation.method"), parseConfigValue("performance_based"))).toEqual({ allocation: { method: "performance_based" } });
    expect(nestedPatch(parseConfigKey("risk.max_positions"), parseConfigValue("null"))).toEqual({ risk: { max_positions: null } });
    expect(nestedPatch(["lookback_days"], parseConfigValue("20"))).toEqual({ lookback_days: 20 });
    expect(parseConfigValue("0.03")).toBe(0.03);
    expect(parseConfigValue("true")).toBe(true);
    expect(parseConfigValue("[weights, buying_power]")).toEqual(["weights", "buying_power"]);
    expect(parseConfigValue('{"enabled": false}')).toEqual({ enabled: false });
    expect(() => parseConfigKey("risk..x")).toThrow(/--key: must be a dotted path/);
    expect(() => parseWholeNumber("3.5", "--limit")).toThrow(/--limit: must be a whole number/);
  });
});

describe("exit codes", () => {
  test("each callable refusal has its code", () => {
    expect(exitCodeForStatus("UNAUTHENTICATED")).toBe(3);
    expect(exitCodeForStatus("PERMISSION_DENIED")).toBe(4);
    expect(exitCodeForStatus("functions/permission-denied")).toBe(4);
    expect(exitCodeForStatus("INVALID_ARGUMENT")).toBe(5);
    expect(exitCodeForStatus("NOT_FOUND")).toBe(5);
    expect(exitCodeForStatus("RESOURCE_EXHAUSTED")).toBe(6);
    expect(exitCodeForStatus("UNAVAILABLE")).toBe(7);
    expect(exitCodeForStatus("INTERNAL")).toBe(7);
    expect(exitCodeForStatus("FAILED_PRECONDITION")).toBe(8);
  });
});

describe("the target", () => {
  test("--emulators: the hosts emulators:exec exports win over firebase.json's ports", () => {
    const t = resolveTarget({ emulators: true }, { FUNCTIONS_EMULATOR_HOST: "127.0.0.1:5999" }, { auth: { host: "127.0.0.1", port: 9199 } });
    expect(t).toMatchObject({ kind: "emulators", projectId: "demo-maestro", profile: "emulators:demo-maestro" });
    expect(t.emulators).toEqual({ auth: "127.0.0.1:9199", firestore: "127.0.0.1:8080", functions: "127.0.0.1:5999" });
    expect(callableUrl(t, "getDeskStatus")).toBe("http://127.0.0.1:5999/demo-maestro/us-central1/getDeskStatus");
    expect(authUrls(t).signIn).toBe("http://127.0.0.1:9199/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-api-key");
  });
  test("a project needs its id and web API key, else a usage error naming what is missing", () => {
    expect(() => resolveTarget({}, {})).toThrow(/pass --emulators .* or --project/);
    expect(() => resolveTarget({ project: "acme" }, {})).toThrow(/MAESTRO_API_KEY is not set/);
    const t = resolveTarget({ project: "acme" }, { MAESTRO_API_KEY: "k" });
    expect(callableUrl(t, "getDeskStatus")).toBe("https://us-central1-acme.cloudfunctions.net/getDeskStatus");
    expect(authUrls(t).refresh).toBe("https://securetoken.googleapis.com/v1/token?key=k");
  });
});

describe("maestro status: the agents line", () => {
  test("each agent's state, a held one with since when and why, and the day's metrics", () => {
    const session = newTradingSession("t1", "2026-11-30", ALWAYS_OPEN_HOURS, new Date("2026-11-30T10:00:00.000Z"));
    session.agents = {
      runs: { ACTIVE_TRADING: { run_id: "ACTIVE_TRADING", started_at: "2026-11-30T10:00:00.000Z" } },
      states: {
        alpha: { status: "completed", last_run: "2026-11-30T10:00:02.000Z", output: {}, reason: null },
        beta: { status: "failed", last_run: "2026-11-30T10:00:00.000Z", output: null, reason: 'task "trade" failed' },
      },
      metrics: { agents_executed: 4, agent_success_rate: 0.5, average_response_time_ms: 812.4, error_count_by_type: { timeout: 1 } },
      holds: { beta: { reason: 'missed its task: task "trade" failed', since: "2026-11-30T10:01:00.000Z" } },
      checked_at: "2026-11-30T10:01:00.000Z",
    };
    const text = statusText(
      { tenant_id: "t1", day: "2026-11-30", session, locks: [], health: null, health_problem: null, weights: null, last_orchestration: null, chain_verification: null },
      palette(false),
    );
    const line = text.split("\n").find((l) => l.trimStart().startsWith("Agents"))!;
    expect(line).toContain(`alpha completed, beta failed (entries held since ${when("2026-11-30T10:01:00.000Z")}: missed its task: task "trade" failed)`);
    expect(line).toContain("; 4 task(s) sent, success 50.00%, answers in 812 ms on average");
  });
});
