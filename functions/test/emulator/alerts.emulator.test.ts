/**
 * Alert delivery, run in this process with the background triggers paused (so nothing
 * else delivers meanwhile): raised once per id; a failing receiver is retried and every
 * attempt recorded; a delivered channel is never sent again; a channel above the alert's
 * severity is skipped; a webhook is signed and never sent unsigned.
 */
import { alertSignature, deliverAlert } from "../../src/stages/alerts";
import { raiseAlert } from "../../src/store/alerts";
import { paths } from "../../src/store/paths";
import { adminDb, openAllDay, pauseBackgroundTriggersDuringFile, uniqueTenantId } from "../support/emulator";
import { startAlertReceiver, type AlertReceiver, type ReceivedAlert } from "../../src/tools/loopback-alert-receiver";

pauseBackgroundTriggersDuringFile();
const db = adminDb();
const SIGNING_KEY = "test-signing-key";

let receiver: AlertReceiver;
let url = "";
let received: ReceivedAlert[] = [];

beforeAll(async () => {
  receiver = await startAlertReceiver();
  url = receiver.url;
  received = receiver.received;
});
afterAll(async () => {
  await receiver.close();
});

async function desk(alerts: Record<string, unknown>): Promise<string> {
  const tenantId = uniqueTenantId("alerts");
  await db.doc(paths.tenant(tenantId)).set({ name: "Alerts", active: true });
  await db.doc(paths.config(tenantId)).set(openAllDay({ alerts }));
  return tenantId;
}

test("raised once per id; a failing receiver is retried with every attempt recorded; a delivered channel is never sent twice; below its severity a channel is skipped", async () => {
  const tenantId = await desk({ channels: [{ kind: "webhook", url: `${url}/hook`, min_severity: "info" }, { kind: "slack", url: `${url}/slack`, min_severity: "critical" }] });
  const alert = { id: "lock_SESSION_LOSS_LIMIT_2026-11-30", severity: "warning" as const, code: "SESSION_LOSS_LIMIT", title: "Risk lock", message: "Entries locked: …", at: "2026-11-30T15:00:00.000Z" };
  expect(await raiseAlert(db, tenantId, alert)).toBe(true);
  expect(await raiseAlert(db, tenantId, alert)).toBe(false);

  receiver.failNext = 1;
  const now = () => new Date("2026-11-30T15:00:05.000Z");
  await expect(deliverAlert(db, tenantId, alert.id, { signingKey: SIGNING_KEY, now })).rejects.toThrow(/^alert lock_SESSION_LOSS_LIMIT_2026-11-30 not delivered: channel 0 \(webhook\): the receiver answered HTTP 500$/);
  const failed = (await db.doc(paths.alert(tenantId, alert.id)).get()).data()!;
  expect(failed.deliveries["0"]).toMatchObject({ status: "failed", attempts: 1, http_status: 500 });
  expect(failed.deliveries["1"]).toMatchObject({ kind: "slack", status: "skipped", error: "below the channel's min_severity critical" });

  const done = await deliverAlert(db, tenantId, alert.id, { signingKey: SIGNING_KEY, now });
  expect(done.deliveries["0"]).toMatchObject({ status: "delivered", attempts: 2, http_status: 200, error: null });
  const hits = received.filter((r) => r.path === "/hook");
  expect(hits).toHaveLength(2);
  // Signed over "{timestamp}.{body}" with the key; the timestamp is the delivery's, in Unix seconds.
  const last = hits[1];
  expect(last.headers["x-maestro-timestamp"]).toBe(String(Date.parse("2026-11-30T15:00:05.000Z") / 1000));
  expect(last.headers["x-maestro-signature"]).toBe(alertSignature(SIGNING_KEY, "1796050805", last.body));
  expect(last.headers["x-maestro-alert-id"]).toBe(alert.id);
  expect(JSON.parse(last.body)).toEqual({ alert_id: alert.id, tenant_id: tenantId, severity: "warning", code: "SESSION_LOSS_LIMIT", title: "Risk lock", message: "Entries locked: …", at: alert.at });

  // Delivered: another attempt sends nothing; the skipped Slack channel never got anything.
  await deliverAlert(db, tenantId, alert.id, { signingKey: SIGNING_KEY, now });
  expect(received.filter((r) => r.path === "/hook")).toHaveLength(2);
  expect(received.filter((r) => r.path === "/slack")).toHaveLength(0);
}, 30_000);

test("a webhook is never sent unsigned; an unreachable receiver is a recorded failure, not a crash", async () => {
  const tenantId = await desk({ channels: [{ kind: "webhook", url: `${url}/unsigned`, min_severity: "info" }, { kind: "slack", url: "http://127.0.0.1:9/nothing-listens", min_severity: "info" }] });
  await raiseAlert(db, tenantId, { id: "a1", severity: "critical", code: "EMERGENCY_STOP", title: "Emergency stop", message: "m", at: "2026-11-30T15:00:00.000Z" });
  await expect(deliverAlert(db, tenantId, "a1", { signingKey: null })).rejects.toThrow(/channel 0 \(webhook\): MAESTRO_ALERT_SIGNING_KEY is not set: a webhook alert is never sent unsigned; channel 1 \(slack\): /);
  expect(received.filter((r) => r.path === "/unsigned")).toHaveLength(0);
  const doc = (await db.doc(paths.alert(tenantId, "a1")).get()).data()!;
  expect(doc.deliveries["1"]).toMatchObject({ kind: "slack", status: "failed", attempts: 1, http_status: null });
});
