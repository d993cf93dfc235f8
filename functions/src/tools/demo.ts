/**
 * The Maestro demo, run inside the Emulator Suite with emulator-data/ imported
 * (`npm run demo` from the repo root). Publishes one market cycle for the demo tenant,
 * waits for the real triggers to orchestrate, log and audit it, and prints what Maestro
 * decided, the trading session, the paper fills, a client app's calls and an emergency
 * stop drill through a loopback broker (tools/demo-emergency.ts), and two simulated strategy
 * agents taken through a trading day's phases (tools/demo-agents.ts). Then it keeps the
 * emulators up until Ctrl-C, or exits with `--exit`.
 */
import { DEMO_TENANT_ID, buildDemoDataset } from "./demo-data";
import { clientAppDemo, operatorCliHint } from "./demo-client";
import { emergencyStopDemo } from "./demo-emergency";
import { strategyAgentsDemo } from "./demo-agents";
import { table } from "./demo-table";
import { emulatorDb, publish, waitFor } from "./emulator-client";
import { MARKET_CYCLE_TOPIC } from "../store/pubsub";
import { paths } from "../store/paths";
import { venueDayOf } from "../core/market-hours";
import { loadMaestroConfig } from "../store/config";
import { IoCount } from "../store/firestore";
import { TradingSessionSchema, type Audit, type EnrichedSignal, type OrchestrationLog, type PaperTrade, type StrategyWeight } from "../schemas";
import type { Firestore } from "firebase-admin/firestore";

const exitAfter = process.argv.includes("--exit");

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const fixed = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const db = emulatorDb();
  const tenantId = DEMO_TENANT_ID;
  const tenant = (await db.doc(paths.tenant(tenantId)).get()).data();
  if (!tenant) throw new Error(`tenant ${tenantId} is not in the emulator: was emulator-data/ imported? (npm run seed rebuilds it)`);
  const pending = await db.collection(paths.signals(tenantId)).where("status", "==", "pending").get();

  console.log(`\n🎭 Maestro demo — tenant ${tenantId} (${tenant.name}), ${pending.size} pending signals`);
  // The execution side reports the account before the cycle; without a fresh snapshot every BUY is held.
  const account = { ...buildDemoDataset().accounts[tenantId], as_of: new Date().toISOString() };
  await db.doc(paths.accountSnapshot(tenantId)).set(account);
  console.log(`Account snapshot: equity $${account.equity.toLocaleString("en-US")}, buying power $${account.buying_power.toLocaleString("en-US")} as of ${account.as_of}`);
  const started = Date.now();
  const messageId = await publish(MARKET_CYCLE_TOPIC, { tenant_id: tenantId });
  console.log(`Published {"tenant_id":"${tenantId}"} to ${MARKET_CYCLE_TOPIC} (message ${messageId}); waiting for the audit…`);

  const audit = await waitFor(
    "the cycle's audit",
    async () => {
      const snap = await db.collection(paths.audits(tenantId)).orderBy("audited_at", "desc").limit(1).get();
      return snap.empty ? undefined : (snap.docs[0].data() as Audit);
    },
    90_000,
  );
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  const log = (await db.doc(paths.log(audit.log_id)).get()).data() as OrchestrationLog;
  const orchestration = (await db.doc(paths.orchestration(tenantId, log.session_id)).get()).data()!;
  const weights = (await db.doc(paths.weights(tenantId)).get()).data()!;
  const strategyWeights = Object.values(weights.strategies as Record<string, StrategyWeight>).sort((a, b) =>
    a.strategy_id < b.strategy_id ? -1 : 1,
  );

  console.log(`Orchestrated, logged and audited in ${elapsed} s (first call includes the functions' cold start).\n`);
  console.log(`Strategies — last ${orchestration.inputs.config.lookback_days} daily returns, weights computed ${weights.computed_at}`);
  console.log(
    table(
      ["Strategy", "Sharpe", "Max DD", "Days", "Mode", "Weight", "Reasoning"],
      strategyWeights.map((w) => [w.strategy_name, fixed(w.sharpe_ratio), pct(w.max_drawdown), String(w.data_points), w.mode, fixed(w.weight), w.reasoning]),
      new Set([1, 2, 3, 5]),
    ),
  );

  console.log(`\nOrchestrated signals — session ${log.session_id}`);
  const names = new Map(strategyWeights.map((w) => [w.strategy_id, w.strategy_name]));
  console.log(
    table(
      ["Signal", "Strategy", "Ticker", "Action", "Alloc", "Mode", "Exec", "Nonce", "Interventions (step: code)"],
      log.signals.map((s: EnrichedSignal) => [
        s.signal_id,
        names.get(s.strategy_id) ?? s.strategy_id,
        s.ticker,
        s.original_action ? `${s.original_action}→${s.action}` : s.action,
        `${fixed(s.original_allocation)}→${fixed(s.allocation)}`,
        s.mode,
        s.executable ? "yes" : "no",
        s.nonce ? `${s.nonce.slice(0, 8)}…` : "–",
        (s.interventions ?? []).map((i) => `${i.step}: ${i.code}`).join(", "),
      ]),
      new Set([4]),
    ),
  );
  if (log.rejected_signals.length) {
    console.log("\nRejected signals");
    console.log(table(["Signal", "Reason"], log.rejected_signals.map((r) => [r.signal_id, r.reason])));
  }

  console.log(`\nSystemic risk: ${log.systemic_risk_details}`);
  console.log(`\nSummary (${log.ai_summary_source}${log.ai_summary_fallback_reason ? `, ${log.ai_summary_fallback_reason}` : ""}):\n  ${log.ai_summary}`);
  console.log(`\nLog:   systemStatus/orchestration_logs/logs/${audit.log_id}`);
  console.log(`       seq ${log.seq}, prev_hash ${log.prev_hash.slice(0, 12)}…, hash ${log.hash.slice(0, 12)}…`);
  const passed = audit.checks.filter((c) => c.passed).length;
  console.log(`Audit: tenants/${tenantId}/audits/${audit.log_id} — ${audit.passed ? "PASSED" : "FAILED"} (${passed}/${audit.checks.length} checks)`);
  for (const c of audit.checks) console.log(`       ${c.passed ? "✓" : "✗"} ${c.name}${c.findings.length ? `: ${c.findings.join("; ")}` : ""}`);
  console.log(`Cycle: ${orchestration.io.reads} document reads, ${orchestration.io.writes} writes, ${orchestration.latency_ms} ms in the orchestration stage` +
    `${orchestration.inputs.weights_recomputed ? " (weights were stale and recomputed first)" : ""}`);

  await tradingSessionDemo(db, tenantId, orchestration.trading_session?.day);

  await paperTradingDemo(db, tenantId, log.session_id, strategyWeights);

  await clientAppDemo(tenantId);

  await emergencyStopDemo(db);

  await strategyAgentsDemo(db);

  operatorCliHint(tenantId);

  if (exitAfter) return;
  console.log(
    "\nThe emulators keep running (Firestore 127.0.0.1:8080, Pub/Sub 127.0.0.1:8085, Auth 127.0.0.1:9099, Functions 127.0.0.1:5001)." +
      "\nPublish another cycle with: curl -s -X POST -H 'content-type: application/json' " +
      `-d '{"messages":[{"data":"'$(echo -n '{"tenant_id":"${tenantId}"}' | base64)'"}]}' ` +
      `http://127.0.0.1:8085/v1/projects/demo-maestro/topics/${MARKET_CYCLE_TOPIC}:publish` +
      "\nPress Ctrl-C to stop.",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/**
 * The shadow strategy's paper fills from this cycle, priced, rolled up and shown beside its
 * real figures: the demo writes today's close for the symbols the paper fills bought, as
 * the market-data feed would, and waits for the paper days.
 */
async function paperTradingDemo(db: Firestore, tenantId: string, sessionId: string, strategyWeights: StrategyWeight[]): Promise<void> {
  const fills = await db.collection(paths.paperTrades(tenantId)).where("session_id", "==", sessionId).get();
  if (fills.empty) return;
  const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
  const today = venueDayOf(new Date(), config.market_hours.time_zone);
  const closes: Record<string, number> = {};
  for (const doc of fills.docs) {
    const fill = doc.data() as PaperTrade;
    if (fill.price !== null) closes[fill.symbol] = Math.round(fill.price * 1.012 * 100) / 100; // the close came in 1.2 % higher
  }
  console.log(`\nPaper trading (SHADOW_MODE): ${fills.size} paper fill(s) from this cycle; writing today's close (${today}) ${JSON.stringify(closes)}…`);
  await db.doc(paths.dailyMark(tenantId, today)).set({ prices: closes }, { merge: true });
  const shadow = strategyWeights.filter((w) => w.mode === "SHADOW_MODE");
  const rows: string[][] = [];
  for (const w of shadow) {
    const paperDay = await waitFor(
      `${w.strategy_name}'s paper day ${today}`,
      async () => {
        const snap = await db.doc(paths.paperPerformanceDay(tenantId, w.strategy_id, today)).get();
        const positions = (snap.get("positions") ?? {}) as Record<string, { mark_price: number }>;
        // Rolled up after today's close: every position this cycle bought is marked at it.
        const marked = Object.entries(closes).every(([symbol, close]) => positions[symbol] === undefined || positions[symbol].mark_price === close);
        return snap.exists && marked ? snap.data() : undefined;
      },
      60_000,
      250,
    ).catch(() => undefined);
    // The real figures the cycle's weights were computed from: total return × capital_base.
    const capitalBase = (await db.doc(paths.strategy(tenantId, w.strategy_id)).get()).get("capital_base") as number;
    const realPnl = w.total_return * capitalBase;
    const positions = paperDay ? Object.entries(paperDay.positions as Record<string, { quantity: number; average_price: number; mark_price: number }>).map(([symbol, p]) => `${Number(p.quantity.toFixed(4))} ${symbol} @ ${fixed(p.average_price)} → ${fixed(p.mark_price)}`).join(", ") : "(not rolled up yet)";
    rows.push([w.strategy_name, w.mode, `$${fixed(realPnl)}`, paperDay ? `$${fixed(paperDay.daily_pnl as number)}` : "–", positions]);
  }
  console.log(table(["Strategy", "Mode", `Real P&L (${config.lookback_days}-day lookback)`, `Paper P&L ${today}`, "Paper positions"], rows, new Set([2, 3])));
  console.log("Paper days stand in for the days in shadow when the weights are next computed; the reasoning says how many.");
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

/** The day's trading session the cycle ran in: its moves (each a link of the log chain), the guardian's marks and locks, SESSION_STATE. */
async function tradingSessionDemo(db: Firestore, tenantId: string, day: string | undefined): Promise<void> {
  if (!day) return;
  const session = TradingSessionSchema.parse((await db.doc(paths.tradingSession(tenantId, day)).get()).data());
  const money = (x: number | null) => (x === null ? "–" : `$${x.toLocaleString("en-US", { maximumFractionDigits: 2 })}`);
  console.log(`\nTrading session ${day}: ${session.state} (tenants/${tenantId}/trading_sessions/${day}; the desk trades around the clock so the demo runs at any hour)`);
  for (const t of session.transitions) console.log(`  ${t.at}  ${t.from} → ${t.to}  by ${t.actor.kind}: ${t.reason}  [chain ${t.log_id}]`);
  const { risk, summary } = session;
  const u = summary.risk_utilization;
  const used = (x: number | null) => (x === null ? "off" : pct(x));
  console.log(
    `  Equity ${money(summary.equity)} (start ${money(risk.starting_equity)}, high-water ${money(risk.high_water_equity)}), P&L ${money(summary.pnl)}; ` +
      `orders ${risk.trades}; positions open ${summary.positions_open}; limits used: loss ${used(u.session_loss)}, trades ${used(u.trades)}, positions ${used(u.positions)}`,
  );
  const active = risk.locks.filter((l) => l.lifted_at === null);
  console.log(`  Locks: ${active.length ? active.map((l) => `${l.code} since ${l.since}: ${l.reason}`).join("; ") : "none"}`);
  const codes = Object.entries(summary.interventions_by_code);
  console.log(`  Interventions this session: ${codes.length ? codes.map(([c, n]) => `${c} ×${n}`).join(", ") : "none"}`);
  console.log("  Admins pause and resume with pauseTradingSession / resumeTradingSession {tenant_id, reason}, and lift a lock with liftRiskLock {tenant_id, code, reason}.");
}
