/**
 * The demo's emergency-stop act (issue 11): a drill desk whose broker is a loopback
 * Hummingbot API server (tools/loopback-hummingbot.ts, hummingbot-api's wire format) holding
 * two positions and three working orders. The demo admin presses the stop through the
 * `emergencyStop` callable (the Functions emulator talks to the loopback broker with the
 * HUMMINGBOT_API_CREDENTIALS secret); the demo prints the shutdown report, the alert the
 * desk's webhook received with its signature checked, and the resume once reconciled.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Firestore } from "firebase-admin/firestore";
import { alertSignature } from "../stages/alerts";
import { paths } from "../store/paths";
import { DEMO_PASSWORD, DEMO_USERS } from "./demo-data";
import { openAllDay, waitFor } from "./emulator-client";
import { startAlertReceiver } from "./loopback-alert-receiver";
import { fillClosingOrdersAtOnce, openLimitOrder, startFakeHummingbot, type FakeOrder } from "./loopback-hummingbot";
import { webClient } from "./web-client";

export const STOP_DRILL_TENANT_ID = "demo-stop-drill";
const ACCOUNT = "drill_account";
const PERP = "binance_perpetual";

/** A secret as the Functions emulator reads it (functions/.secret.local, written by scripts/emulators.sh). */
function localSecret(name: string): string {
  if (process.env[name]) return process.env[name]!;
  const file = join(__dirname, "..", "..", ".secret.local");
  const line = readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`${name} is not in functions/.secret.local: start the emulators with scripts/emulators.sh`);
  return line.slice(name.length + 1).replace(/^["']|["']$/g, "");
}

function workingOrder(id: string, pair: string, side: "BUY" | "SELL", amount: number, price: number): FakeOrder {
  return openLimitOrder({ account_name: ACCOUNT, connector_name: PERP }, id, pair, side, amount, price, new Date().toISOString());
}

export async function emergencyStopDemo(db: Firestore): Promise<void> {
  const credentials = localSecret("HUMMINGBOT_API_CREDENTIALS");
  const colon = credentials.indexOf(":");
  const signingKey = localSecret("MAESTRO_ALERT_SIGNING_KEY");
  const broker = await startFakeHummingbot({
    username: credentials.slice(0, colon),
    password: credentials.slice(colon + 1),
    state: {
      portfolio: { [ACCOUNT]: { [PERP]: [{ token: "USDT", units: 250_000, price: 1, value: 250_000, available_units: 180_000 }] } },
      orders: [workingOrder("drill-1", "BTC-USDT", "BUY", 0.2, 58_000), workingOrder("drill-2", "ETH-USDT", "SELL", 5, 3_950), workingOrder("drill-3", "SOL-USDT", "BUY", 40, 118)],
      positions: [
        { account_name: ACCOUNT, connector_name: PERP, trading_pair: "BTC-USDT", side: "LONG", amount: 1.5, entry_price: 59_200, unrealized_pnl: -2_100, leverage: 3 },
        { account_name: ACCOUNT, connector_name: PERP, trading_pair: "ETH-USDT", side: "SHORT", amount: -12, entry_price: 3_700, unrealized_pnl: -1_450, leverage: 2 },
      ],
      trades: [],
      trading_rules: { [PERP]: ["BTC-USDT", "ETH-USDT", "SOL-USDT"] },
    },
  });
  fillClosingOrdersAtOnce(broker);
  const receiver = await startAlertReceiver();
  try {
    const admin = DEMO_USERS.find((u) => u.role === "admin" && u.uid === "demo-admin")!;
    const batch = db.batch();
    batch.set(db.doc(paths.tenant(STOP_DRILL_TENANT_ID)), { name: "Demo Fund — stop drill", active: true });
    batch.set(
      db.doc(paths.config(STOP_DRILL_TENANT_ID)),
      openAllDay({
        broker: { kind: "hummingbot", base_url: broker.url, account_name: ACCOUNT, connectors: [PERP], timeout_ms: 3_000 },
        emergency: { poll_interval_ms: 200 },
        alerts: { channels: [{ kind: "webhook", url: `${receiver.url}/maestro-alerts`, min_severity: "warning" }] },
      }),
    );
    batch.set(db.doc(paths.strategy(STOP_DRILL_TENANT_ID, "basis")), { name: "Basis Carry", enabled: true, capital_base: 100_000, manual_mode: null });
    batch.set(db.doc(paths.accountSnapshot(STOP_DRILL_TENANT_ID)), { equity: 250_000, buying_power: 180_000, as_of: new Date().toISOString() });
    batch.set(db.doc(paths.member(STOP_DRILL_TENANT_ID, admin.uid)), { role: "admin", email: admin.email });
    await batch.commit();

    console.log(`\nEmergency stop drill — tenant ${STOP_DRILL_TENANT_ID}; its broker is a loopback Hummingbot API at ${broker.url}`);
    for (const p of broker.state.positions) console.log(`  position  ${p.side.padEnd(5)} ${String(Math.abs(p.amount)).padStart(4)} ${p.trading_pair} on ${p.connector_name} (unrealized ${p.unrealized_pnl})`);
    for (const o of broker.state.orders) console.log(`  order     ${o.order_id} ${o.trade_type} ${o.amount} ${o.trading_pair} @ ${o.price}`);

    const client = await webClient({ email: admin.email, password: DEMO_PASSWORD });
    try {
      const started = Date.now();
      const stop = await client.call("emergencyStop", { tenant_id: STOP_DRILL_TENANT_ID, reason: "drill: flatten the desk" });
      const r = stop.report;
      console.log(`  ${admin.email} pressed emergencyStop → ${stop.state} in ${((Date.now() - started) / 1000).toFixed(1)} s (report on tenants/${STOP_DRILL_TENANT_ID}/trading_sessions/${stop.day})`);
      console.log(`  Orders cancelled: ${r.orders_cancelled.map((o: { client_order_id: string }) => o.client_order_id).join(", ") || "none"}; cancel failures: ${r.cancel_failures.length}`);
      console.log(`  Closing orders:   ${r.closing_orders.map((c: { trading_pair: string; position_side: string; amount: number; client_order_id: string | null }) => `${c.position_side} ${c.amount} ${c.trading_pair} → ${c.client_order_id ?? "not acknowledged"}`).join("; ")}`);
      console.log(`  Flat: ${r.flat ? "yes" : "no"} after ${r.polls} poll(s); still open: ${r.still_open.length ? r.still_open.map((o: { trading_pair: string; why: string }) => `${o.trading_pair} (${o.why})`).join("; ") : "nothing"}`);
      console.log(`  Licences revoked ${r.nonces_revoked}; timings ms: ${Object.entries(r.timings_ms).map(([k, v]) => `${k} ${v}`).join(", ")}`);

      const hook = await waitFor("the emergency-stop alert at the desk's webhook", async () => receiver.received.find((x) => x.body.includes('"EMERGENCY_STOP"')), 30_000);
      const timestamp = String(hook.headers["x-maestro-timestamp"]);
      const verified = hook.headers["x-maestro-signature"] === alertSignature(signingKey, timestamp, hook.body);
      const alert = JSON.parse(hook.body) as { severity: string; title: string; message: string };
      console.log(`  Alert received at ${hook.path}: [${alert.severity.toUpperCase()}] ${alert.title}: ${alert.message}`);
      console.log(`  Signature ${hook.headers["x-maestro-signature"]?.toString().slice(0, 19)}… ${verified ? "verified" : "DID NOT VERIFY"} (HMAC-SHA256 of "{timestamp}.{body}" under MAESTRO_ALERT_SIGNING_KEY)`);

      // The closing market orders are still working at the broker until the exchange reports them filled: no resume yet.
      const early = await client.call("resumeTrading", { tenant_id: STOP_DRILL_TENANT_ID, reason: "drill over" }).catch((e: Error) => e);
      console.log(`  resumeTrading at once → ${early instanceof Error ? `refused: ${early.message}` : `unexpectedly ${early.state}`}`);
      broker.state.orders = broker.state.orders.filter((o) => o.order_type !== "MARKET");
      const resumed = await client.call("resumeTrading", { tenant_id: STOP_DRILL_TENANT_ID, reason: "drill over: flat and reconciled" });
      console.log(`  The exchange fills the closing orders; resumeTrading → ${resumed.state}: ${resumed.checks.join("; ")}`);
    } finally {
      await client.close();
    }
  } finally {
    await receiver.close();
    await broker.close();
  }
}
