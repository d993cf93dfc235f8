/**
 * The `maestro` CLI as an operator runs it: the real binary (node bin/maestro.js, as
 * `npx maestro` does) against the emulators, signed in as the demo users through the Auth
 * emulator, its exit codes and its --json output checked against the database. The demo
 * tenant is only read (and one cycle orchestrated, as the web-client test does); what
 * changes a desk runs on a fresh tenant of this file's own.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAuth } from "firebase/auth";
import { doc, getDoc } from "firebase/firestore";
import { paths } from "../../src/store/paths";
import { DEMO_PASSWORD, DEMO_TENANT_ID } from "../../src/tools/demo-data";
import { webClient } from "../../src/tools/web-client";
import { adminDb, ampleAccountSnapshot, openAllDay, uniqueTenantId, waitFor } from "../support/emulator";

const ROOT = join(__dirname, "..", "..", "..");
const BIN = join(ROOT, "bin", "maestro.js");
const FIXTURE = join(__dirname, "..", "fixtures", "cli-bad-config.yaml");
const work = mkdtempSync(join(tmpdir(), "maestro-cli-"));
const db = adminDb();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Each user its own config directory: their stored sign-in. */
const homes: Record<string, string> = {};
function home(user: string): string {
  return (homes[user] ??= mkdtempSync(join(work, `${user.split("@")[0]}-`)));
}

function maestro(user: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, MAESTRO_CONFIG_DIR: home(user), ...extraEnv };
  for (const name of ["MAESTRO_TOKEN", "MAESTRO_EMAIL", "MAESTRO_PASSWORD", "MAESTRO_TENANT", "NO_COLOR", "FORCE_COLOR"]) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, "--emulators", ...args], { cwd: ROOT, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The binary with `input` on its stdin (maestro chat reading its questions from a pipe). */
function maestroWithInput(user: string, args: string[], input: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, MAESTRO_CONFIG_DIR: home(user) };
  for (const name of ["MAESTRO_TOKEN", "MAESTRO_EMAIL", "MAESTRO_PASSWORD", "MAESTRO_TENANT", "NO_COLOR", "FORCE_COLOR"]) delete env[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "--emulators", ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The single JSON document a --json run printed. */
function json(run: Run): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`not one JSON document on stdout (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

const viewer = "viewer@demo-fund.maestro.test";
const trader = "trader@demo-fund.maestro.test";
const admin = "admin@demo-fund.maestro.test";
let sessionId = "";

beforeAll(async () => {
  for (const user of [viewer, trader, admin]) {
    const run = await maestro(user, ["login", "--email", user, "--password", DEMO_PASSWORD, "--tenant", DEMO_TENANT_ID, "--json"]);
    expect(run).toMatchObject({ code: 0 });
    expect(json(run)).toMatchObject({ email: user, tenant_id: DEMO_TENANT_ID, role: user.split("@")[0] });
  }
}, 120_000);

describe("signing in", () => {
  test("login keeps the refresh token in a file only its owner can read; logout forgets it; a wrong password is exit 3", async () => {
    const file = join(home(viewer), "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    expect(stored.profiles["emulators:demo-maestro"]).toMatchObject({ email: viewer, uid: "demo-viewer", tenant_id: DEMO_TENANT_ID });
    expect(JSON.stringify(stored)).not.toContain(DEMO_PASSWORD);

    const wrong = await maestro("nobody", ["login", "--email", viewer, "--password", "not-the-password"]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/sign-in refused/);
    const signedOut = await maestro("nobody", ["status", "--tenant", DEMO_TENANT_ID]);
    expect(signedOut.code).toBe(3);
    expect(signedOut.stderr).toMatch(/not signed in to the emulators: run `maestro login/);
    // A member of another tenant is refused at login, naming the tenant.
    const outsider = await maestro("outsider", ["login", "--email", "admin@other-desk.maestro.test", "--password", DEMO_PASSWORD, "--tenant", DEMO_TENANT_ID]);
    expect(outsider.code).toBe(4);
    expect(outsider.stderr).toMatch(/not a member of tenant 'demo-fund'/);
  });
});

describe("the demo desk, read through the callables", () => {
  test("the trader orchestrates a cycle (orchestrateNow)", async () => {
    const run = await maestro(trader, ["orchestrate", "--json"]);
    expect(run.code).toBe(0);
    const result = json(run);
    expect(result.session_id).toMatch(/^maestro_\d{13}_[0-9a-f]{16}$/);
    sessionId = result.session_id;
    const stored = await db.doc(paths.orchestration(DEMO_TENANT_ID, sessionId)).get();
    expect(stored.get("requested_by")).toBe("demo-trader");
  });

  test("replay <session_id> re-runs the trader's cycle on its recorded inputs: identical, exit 0", async () => {
    const run = await maestro(viewer, ["replay", sessionId, "--json"]);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ session_id: sessionId, replayable: true, identical: true, difference_count: 0 });
    const human = await maestro(viewer, ["replay", sessionId]);
    expect(human.stdout).toMatch(/^Identical: replaying maestro_\d{13}_[0-9a-f]{16} on its recorded inputs/);
  });

  test("ask continues the user's conversation: a strategy's performance, then \"and why was it cut?\" about it; --new starts afresh", async () => {
    const strategies = await db.collection(paths.strategies(DEMO_TENANT_ID)).get();
    const name = strategies.docs[0].get("name") as string;
    const first = await maestro(viewer, ["ask", `how did ${name} do over 7 days?`, "--new", "--json"]);
    expect(first.code).toBe(0);
    const a = json(first);
    expect(a).toMatchObject({ intent: "performance", entities: { strategy: name, period_days: 7 } });
    const second = await maestro(viewer, ["ask", "and", "why", "was", "it", "cut?", "--json"]);
    const b = json(second);
    expect(b).toMatchObject({ conversation_id: a.conversation_id, intent: "explain_decision", entities: { strategy: name } });
    const stored = (await db.doc(paths.conversation(DEMO_TENANT_ID, a.conversation_id)).get()).data()!;
    expect(stored).toMatchObject({ uid: "demo-viewer", turn_count: 2 });
    const human = await maestro(viewer, ["ask", "--new", "what are the weights?"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Sources: getStrategyWeights \(as of .*\)\.\s+\[allocations \(\d+\.\d\d ms\) · written from templates\]/);
    const fresh = JSON.parse(readFileSync(join(home(viewer), "conversations.json"), "utf8"));
    expect(Object.values(fresh)).not.toContain(a.conversation_id);
  });

  test("chat reads one question per line from a pipe, answers each in one conversation, and stops at exit", async () => {
    const run = await maestroWithInput(viewer, ["chat", "--json"], "what are the weights?\n\nis the session paused?\nexit\nnot asked\n");
    expect(run.code).toBe(0);
    const answers = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(answers.map((r: { intent: string }) => r.intent)).toEqual(["allocations", "risk_session"]);
    expect(answers[1].conversation_id).toBe(answers[0].conversation_id);
  });

  test("status --json is the desk as the database has it", async () => {
    const run = await maestro(viewer, ["status", "--json"]);
    expect(run.code).toBe(0);
    const status = json(run);
    const session = (await db.doc(paths.tradingSession(DEMO_TENANT_ID, status.day)).get()).data();
    expect(session).toBeDefined();
    expect(status.session.state).toBe(session!.state);
    expect(status.session.summary.cycles).toBe(session!.summary.cycles);
    expect(status.last_orchestration.session_id).toBe(sessionId);
    const weights = (await db.doc(paths.weights(DEMO_TENANT_ID)).get()).data();
    expect(status.weights.computed_at).toBe(weights!.computed_at);
    const health = await db.doc(paths.healthCurrent(DEMO_TENANT_ID)).get();
    expect(status.health === null).toBe(!health.exists);
    expect(status.locks).toEqual([]);
  });

  test("strategies --sort-by sharpe --json follows the weights document, highest Sharpe first", async () => {
    const run = await maestro(viewer, ["strategies", "--sort-by", "sharpe", "--json"]);
    expect(run.code).toBe(0);
    const listed = json(run).strategies.map((s: { strategy_id: string; sharpe_ratio: number }) => [s.strategy_id, s.sharpe_ratio]);
    const stored = (await db.doc(paths.weights(DEMO_TENANT_ID)).get()).get("strategies") as Record<string, { sharpe_ratio: number }>;
    const expected = Object.entries(stored)
      .map(([id, w]) => [id, w.sharpe_ratio])
      .sort((a, b) => (b[1] as number) - (a[1] as number));
    expect(listed).toEqual(expected);
    expect(listed).toHaveLength(7);
  });

  test("metrics, correlations, allocations and logs answer in JSON", async () => {
    const metrics = json(await maestro(viewer, ["metrics", "--period", "7d", "--json"]));
    expect(metrics.period_days).toBe(7);
    for (const s of metrics.strategies) expect(s.days.length).toBeLessThanOrEqual(7);
    const correlations = json(await maestro(viewer, ["correlations", "--json"]));
    expect(correlations.ids).toHaveLength(7);
    correlations.ids.forEach((_: string, i: number) => expect(correlations.matrix[i][i]).toBe(1));
    const allocations = json(await maestro(viewer, ["allocations", "--json"]));
    expect(allocations.method).toBe("sharpe_tiers");
    const logs = json(await maestro(viewer, ["logs", "--limit", "5", "--json"]));
    await waitFor("the cycle's log", async () => ((await db.collection(paths.logs()).where("session_id", "==", sessionId).get()).empty ? undefined : true));
    const again = json(await maestro(viewer, ["logs", "--limit", "5", "--systemic-only", "--json"]));
    expect(logs.logs.length + again.logs.length).toBeGreaterThan(0);
    for (const log of again.logs) expect(log.systemic_risk_detected).toBe(true);
  });

  test("verify-chain --json walks the demo tenant's chain to its head: intact", async () => {
    const run = await maestro(admin, ["verify-chain", "--json"]);
    expect(run.code).toBe(0);
    const result = json(run);
    expect(result).toMatchObject({ tenant_id: DEMO_TENANT_ID, intact: true, complete: true, first_break: null });
    const head = (await db.doc(paths.logChainHead(DEMO_TENANT_ID)).get()).get("seq");
    expect(result.head_seq).toBe(head);
    expect(result.logs_checked).toBe(head);
  });

  test("report writes a PDF of the period with its charts", async () => {
    const output = join(work, "report.pdf");
    const run = await maestro(viewer, ["report", "--period", "30d", "--output", output, "--json"]);
    expect(run.code).toBe(0);
    const summary = json(run);
    expect(summary).toMatchObject({ output, tenant_id: DEMO_TENANT_ID, period_days: 30, strategies: 7, pages: 5 });
    expect(summary.orchestrations_read).toBeGreaterThanOrEqual(1);
    expect(summary.interventions.find((i: { code: string }) => i.code === "SYSTEMIC_RISK_OVERRIDE")?.count).toBeGreaterThanOrEqual(1);
    const pdf = readFileSync(output);
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.toString("latin1")).toMatch(/\/Count 5\b/);
  });

  test("monitor --live --duration 3 --json prints one JSON line per update from the listeners", async () => {
    const run = await maestro(viewer, ["monitor", "--live", "--duration", "3", "--json"]);
    expect(run.code).toBe(0);
    const updates = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(new Set(updates.map((u) => u.update))).toEqual(new Set(["session", "health", "weights", "orchestrations"]));
    const last = updates[updates.length - 1];
    expect(last.tenant_id).toBe(DEMO_TENANT_ID);
    expect(last.orchestrations.map((o: { session_id: string }) => o.session_id)).toContain(sessionId);
    expect(last.weights.strategies).toHaveLength(7);
    expect(last.desk_curve.length).toBeGreaterThan(1);
  });
});

describe("refusals a script can rely on", () => {
  test("a viewer's emergency-stop is exit 4, naming the admin role; the desk is not stopped", async () => {
    const run = await maestro(viewer, ["emergency-stop", "--reason", "a viewer tries"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/emergencyStop requires the admin role; you are a viewer of tenant 'demo-fund'/);
    const asJson = await maestro(viewer, ["emergency-stop", "--reason", "a viewer tries", "--json"]);
    expect(asJson.code).toBe(4);
    expect(json(asJson).error).toMatchObject({ exit_code: 4, status: "PERMISSION_DENIED" });
    const status = json(await maestro(viewer, ["status", "--json"]));
    expect(status.session.state).not.toBe("EMERGENCY_STOP");
  });

  test("bad flags and arguments are exit 2, before anything is called", async () => {
    expect((await maestro(viewer, ["strategies", "--sort-by", "luck"])).code).toBe(2);
    expect((await maestro(viewer, ["status", "--no-such-flag"])).code).toBe(2);
    expect((await maestro(viewer, ["emergency-stop"])).stderr).toMatch(/required option '--reason <text>'/);
    expect((await maestro(viewer, ["emergency-stop"])).code).toBe(2);
    expect((await maestro(viewer, ["metrics", "--period", "a fortnight"])).code).toBe(2);
    expect((await maestro(viewer, ["replay", "not-a-session"])).code).toBe(2);
    expect((await maestro(viewer, ["config"])).code).toBe(2);
    expect((await maestro(viewer, ["--help"])).code).toBe(0);
  });

  test("config validate refuses a bad YAML naming each line and field (exit 1); an exported config validates (exit 0)", async () => {
    const bad = await maestro(viewer, ["config", "validate", "--config", FIXTURE]);
    expect(bad.code).toBe(1);
    const lines = bad.stdout.trim().split("\n");
    expect(lines[0]).toBe(`${FIXTURE}:5: risk.max_session_loss_pct: must be greater than 0 (got -2)`);
    expect(lines[1]).toMatch(new RegExp(`^${FIXTURE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:8: allocation\\.method: must be one of .*\\(got "momentum_chasing"\\)$`));
    expect(lines[2]).toBe(`${FIXTURE}:11: ai_summary.modle: is not a known field`);
    const badJson = json(await maestro(viewer, ["config", "validate", "--config", FIXTURE, "--json"]));
    expect(badJson.problems.map((p: { line: number; field: string }) => [p.line, p.field])).toEqual([[5, "risk.max_session_loss_pct"], [8, "allocation.method"], [11, "ai_summary.modle"]]);

    const exported = join(work, "demo-fund.yaml");
    const exportRun = await maestro(viewer, ["config", "export", "--output", exported]);
    expect(exportRun.code).toBe(0);
    expect(readFileSync(exported, "utf8")).toMatch(/^# Maestro config of tenant demo-fund in force/);
    const good = await maestro(viewer, ["config", "validate", "--config", exported]);
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toMatch(/valid: .* is a valid Maestro config/);
  });
});

describe("changing a desk (a fresh tenant of this file's own)", () => {
  const email = `ops-${randomBytes(4).toString("hex")}@cli.maestro.test`;
  const password = "cli-test-password";
  let tenantId = "";

  beforeAll(async () => {
    tenantId = uniqueTenantId("cli-desk");
    const host = process.env.FIREBASE_AUTH_EMULATOR_HOST!;
    const response = await fetch(`http://${host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    });
    const { localId } = (await response.json()) as { localId: string };
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(tenantId)), { name: "CLI desk", active: true });
    batch.set(db.doc(paths.config(tenantId)), openAllDay({ rate_limits: { verify_chain: 1 } }));
    batch.set(db.doc(paths.strategy(tenantId, "alpha")), { name: "Alpha", enabled: true, capital_base: 10_000, manual_mode: null });
    batch.set(db.doc(paths.accountSnapshot(tenantId)), ampleAccountSnapshot());
    batch.set(db.doc(paths.member(tenantId, localId)), { role: "admin" });
    await batch.commit();
    const login = await maestro(email, ["login", "--email", email, "--password", password, "--tenant", tenantId]);
    expect(login.code).toBe(0);
  }, 60_000);

  test("config update sends a nested patch through updateMaestroConfig; the server refuses a bad value (exit 5)", async () => {
    const run = await maestro(email, ["config", "update", "--key", "risk.max_positions", "--value", "4", "--reason", "cap the symbols", "--json"]);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ changed_fields: ["risk.max_positions"], value: 4 });
    expect((await db.doc(paths.config(tenantId)).get()).get("risk.max_positions")).toBe(4);
    const refused = await maestro(email, ["config", "update", "--key", "risk.max_session_loss_pct", "--value", "-1"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/risk\.max_session_loss_pct: must be greater than 0/);
  });

  test("rebalance --force under sharpe_tiers is a failed precondition (exit 8)", async () => {
    const run = await maestro(email, ["rebalance", "--force"]);
    expect(run.code).toBe(8);
    expect(run.stderr).toMatch(/allocation\.method is sharpe_tiers/);
  });

  test("verify-chain past the tenant's rate limit is exit 6", async () => {
    expect((await maestro(email, ["verify-chain"])).code).toBe(0);
    const limited = await maestro(email, ["verify-chain"]);
    expect(limited.code).toBe(6);
    expect(limited.stderr).toMatch(/rate limit/);
  });

  test("emergency-stop, a resume refused until the execution side is done (exit 8), then the resume", async () => {
    const stop = await maestro(email, ["emergency-stop", "--reason", "cli drill: flatten the desk", "--json"]);
    expect(stop.code).toBe(0);
    const stopped = json(stop);
    expect(stopped).toMatchObject({ state: "EMERGENCY_STOP", report: { broker: null } });
    expect(stopped.report.intents.length).toBeGreaterThanOrEqual(1);
    const session = await db.doc(paths.tradingSession(tenantId, stopped.day)).get();
    expect(session.get("state")).toBe("EMERGENCY_STOP");
    expect(session.get("emergency.reason")).toBe("cli drill: flatten the desk");

    const early = await maestro(email, ["resume", "--reason", "back to work"]);
    expect(early.code).toBe(8);
    expect(early.stderr).toMatch(/not reconciled, EMERGENCY_STOP stays: .*execution intent/);

    for (const id of stopped.report.intents) await db.doc(`${paths.tenant(tenantId)}/execution_intents/${id}`).update({ status: "done" });
    const resumed = await maestro(email, ["resume", "--reason", "execution side flattened", "--json"]);
    expect(resumed.code).toBe(0);
    expect(json(resumed)).toMatchObject({ from: "EMERGENCY_STOP", state: "ACTIVE_TRADING" });
    expect((await db.doc(paths.tradingSession(tenantId, stopped.day)).get()).get("state")).toBe("ACTIVE_TRADING");
  });

  test("agents issue writes the custom token to a file only its owner reads, and the agent signs in with it; revoke needs --reason (exit 2), then refuses the agent", async () => {
    const tokenPath = join(work, "alpha-agent.token");
    const issued = await maestro(email, ["agents", "issue", "alpha", "--reason", "alpha's bot", "--token-file", tokenPath, "--json"]);
    expect(issued.code).toBe(0);
    const result = json(issued);
    expect(result).toMatchObject({ strategy_id: "alpha", token_file: tokenPath, credential: { status: "active", issue_reason: "alpha's bot" } });
    expect(result.agent_id).toMatch(/^agent_alpha_[0-9a-f]{12}$/);
    expect(result).not.toHaveProperty("custom_token");
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, "utf8").trim();
    expect(token.split(".")).toHaveLength(3);
    expect(issued.stdout + issued.stderr).not.toContain(token);

    const agent = await webClient({ customToken: token });
    try {
      expect(getAuth(agent.app).currentUser?.uid).toBe(result.agent_id);
      // The rules let an active agent read its own strategy.
      expect((await getDoc(doc(agent.db, paths.strategy(tenantId, "alpha")))).get("name")).toBe("Alpha");

      // Without --token-file the token is printed, with a warning that it is a secret.
      const printed = await maestro(email, ["agents", "issue", "alpha", "--reason", "a second bot"]);
      expect(printed.code).toBe(0);
      expect(printed.stderr).toMatch(/warning: the custom token printed is a secret/);
      const second = /Issued agent (agent_alpha_[0-9a-f]{12}) for strategy alpha/.exec(printed.stdout)?.[1];
      expect(second).toBeDefined();
      expect(printed.stdout).toMatch(/Token: +[\w-]+\.[\w-]+\.[\w-]*/);
      const listed = json(await maestro(email, ["agents", "list", "--json"]));
      expect(listed.agents.map((a: { agent_id: string; status: string }) => [a.agent_id, a.status])).toEqual([[second, "active"], [result.agent_id, "active"]]);

      const noReason = await maestro(email, ["agents", "revoke", result.agent_id]);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toMatch(/required option '--reason <text>'/);
      expect((await db.doc(paths.agent(tenantId, result.agent_id)).get()).get("status")).toBe("active");

      const revoked = await maestro(email, ["agents", "revoke", result.agent_id, "--reason", "bot retired", "--json"]);
      expect(revoked.code).toBe(0);
      expect(json(revoked)).toMatchObject({ agent_id: result.agent_id, credential: { status: "revoked", revoke_reason: "bot retired" } });
      const refused = await getDoc(doc(agent.db, paths.strategy(tenantId, "alpha"))).then(
        () => "read",
        (error: { code?: string }) => error.code,
      );
      expect(refused).toBe("permission-denied");
      const again = await maestro(email, ["agents", "revoke", result.agent_id, "--reason", "bot retired"]);
      expect(again.code).toBe(8);
      expect(again.stderr).toMatch(/was already revoked/);
    } finally {
      await agent.close();
    }
  });
});

describe("what a person sees", () => {
  test("on a pseudo-terminal the strategies table is drawn in colour; through a pipe it has no escape codes", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MAESTRO_CONFIG_DIR: home(viewer) };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const tty = await new Promise<string>((resolve, reject) =>
      execFile("script", ["-qfec", `node ${BIN} --emulators strategies`, "/dev/null"], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(tty).toMatch(/\x1b\[32mACTIVE\x1b\[39m/);
    expect(tty).toMatch(/\x1b\[1mStrategy +Mode/);
    const piped = await maestro(viewer, ["strategies"]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toMatch(/\x1b\[/);
    expect(piped.stdout).toMatch(/Gamma Scalper +ACTIVE +1\.00 +2\.60/);
    const noColor = await new Promise<string>((resolve, reject) =>
      execFile("script", ["-qfec", `node ${BIN} --emulators --no-color strategies`, "/dev/null"], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(noColor).not.toMatch(/\x1b\[3\dm/);
  });
});
