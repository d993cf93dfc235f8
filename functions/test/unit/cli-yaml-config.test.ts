import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkConfigYaml, configToYaml, formatProblem } from "../../src/cli/yaml-config";
import { DEFAULT_CONFIG, MaestroConfigSchema } from "../../src/schemas";

const fixture = readFileSync(join(__dirname, "..", "fixtures", "cli-bad-config.yaml"), "utf8");

describe("config validate: each problem on its line, named by its field", () => {
  test("the fixture's three mistakes, on lines 5, 8 and 11", () => {
    const check = checkConfigYaml(fixture);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems.map((p) => formatProblem("bad.yaml", p))).toEqual([
      "bad.yaml:5: risk.max_session_loss_pct: must be greater than 0 (got -2)",
      expect.stringMatching(/^bad\.yaml:8: allocation\.method: must be one of "sharpe_tiers", .* \(got "momentum_chasing"\)$/),
      "bad.yaml:11: ai_summary.modle: is not a known field",
    ]);
  });

  test("a YAML syntax error is reported on its line", () => {
    const check = checkConfigYaml("lookback_days: 30\nrisk:\n  max_positions: [1, 2\nalerts: {}\n");
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.problems[0].field).toBe("yaml");
      expect(check.problems[0].line).toBeGreaterThanOrEqual(3);
    }
  });

  test("a rule across fields is reported where the field is", () => {
    const check = checkConfigYaml("lookback_days: 10\nmin_data_points: 12\n");
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems).toEqual([{ line: 2, field: "min_data_points", rule: "must not exceed lookback_days (10) (got 12)" }]);
  });

  test("an empty file is the defaults; the exported effective config validates back to itself", () => {
    const empty = checkConfigYaml("");
    expect(empty).toEqual({ ok: true, config: DEFAULT_CONFIG });
    const config = MaestroConfigSchema.parse({ lookback_days: 20, allocation: { method: "risk_parity" }, risk: { max_positions: 4 } });
    const yaml = configToYaml(config, ["Maestro config of tenant t, version 3"]);
    expect(yaml.startsWith("# Maestro config of tenant t, version 3\n")).toBe(true);
    expect(checkConfigYaml(yaml)).toEqual({ ok: true, config });
  });
});
