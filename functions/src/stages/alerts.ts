/**
 * Alerts (issue 11; asked for in seeds 001, 002 and 004). `raiseAlert` (store/alerts.ts)
 * writes `tenants/{t}/alerts/{alert_id}` with create(): the id deduplicates (the same event
 * raised twice is one alert). Its creation starts `onAlertCreated`, which delivers it to each of
 * the tenant's channels at or above the channel's minimum severity (config.alerts):
 *  - "slack": a Slack-compatible incoming webhook, `{"text": "…"}`;
 *  - "webhook": the alert as JSON, with `X-Maestro-Timestamp` (Unix seconds) and
 *    `X-Maestro-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" under
 *    MAESTRO_ALERT_SIGNING_KEY>`. A receiver recomputes it over the raw body and refuses a
 *    timestamp more than 5 minutes from its clock (the replay window).
 * Each delivery is recorded on the alert (status, attempts, HTTP status, error). A failed
 * channel makes the trigger throw, so the platform retries with its backoff, until an
 * hour has passed (store/retries); channels already delivered are not sent again. Alerts
 * are written after the decision they report and delivered by their own trigger, so an
 * unreachable receiver never blocks a stop or a cycle.
 */
import { createHmac } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import { ALERT_SEVERITIES, AlertSchema, parseWithReason, type Alert, type AlertSeverity } from "../schemas";
import { loadMaestroConfig } from "../store/config";
import { IoCount, maestroDb, plainData } from "../store/firestore";
import { paths, triggerPaths } from "../store/paths";
import { retryUntilEndCondition } from "../store/retries";
import { alertSigningKey } from "../params";

export const ALERT_REPLAY_WINDOW_SECONDS = 300;
const DELIVERY_TIMEOUT_MS = 5_000;
export const MAX_ALERT_AGE_MS = 60 * 60_000;

/** "sha256=<hex>" over "{timestamp}.{body}": what a receiver recomputes. */
export function alertSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", key).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}

const rank = (s: AlertSeverity) => ALERT_SEVERITIES.indexOf(s);

/**
 * Delivers the alert to the channels that have not had it yet; records each outcome on the
 * alert. Throws when a channel failed, so the trigger is retried.
 */
export async function deliverAlert(db: Firestore, tenantId: string, alertId: string, options: { now?: () => Date; signingKey?: string | null } = {}): Promise<Alert> {
  const clock = options.now ?? (() => new Date());
  const ref = db.doc(paths.alert(tenantId, alertId));
  const parsed = parseWithReason(AlertSchema, plainData((await ref.get()).data()));
  if (!parsed.ok) throw new Error(`alert ${alertId} is malformed: ${parsed.reason}`);
  const alert = parsed.value;
  const { config } = await loadMaestroConfig(db, tenantId, new IoCount());
  const key = options.signingKey !== undefined ? options.signingKey : process.env[alertSigningKey.name] ? alertSigningKey.value() : null;
  const failures: string[] = [];
  const updates: Record<string, unknown> = {};
  for (const [index, channel] of config.alerts.channels.entries()) {
    const slot = String(index);
    const previous = alert.deliveries[slot];
    if (previous?.status === "delivered" || previous?.status === "skipped") continue;
    const attempts = (previous?.attempts ?? 0) + 1;
    const at = clock().toISOString();
    if (rank(alert.severity) < rank(channel.min_severity)) {
      updates[`deliveries.${slot}`] = { kind: channel.kind, url: channel.url, status: "skipped", attempts: 0, http_status: null, error: `below the channel's min_severity ${channel.min_severity}`, at };
      continue;
    }
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      let body: string;
      if (channel.kind === "slack") {
        body = JSON.stringify({ text: `[${alert.severity.toUpperCase()}] ${alert.title} (${tenantId}): ${alert.message}` });
      } else {
        if (!key) throw new Error("MAESTRO_ALERT_SIGNING_KEY is not set: a webhook alert is never sent unsigned");
        body = JSON.stringify({ alert_id: alert.alert_id, tenant_id: tenantId, severity: alert.severity, code: alert.code, title: alert.title, message: alert.message, at: alert.at });
        const timestamp = String(Math.floor(clock().getTime() / 1000));
        headers["x-maestro-timestamp"] = timestamp;
        headers["x-maestro-signature"] = alertSignature(key, timestamp, body);
        headers["x-maestro-alert-id"] = alert.alert_id;
      }
      const response = await fetch(channel.url, { method: "POST", headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      httpStatus = response.status;
      if (!response.ok) error = `the receiver answered HTTP ${response.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    updates[`deliveries.${slot}`] = { kind: channel.kind, url: channel.url, status: error ? "failed" : "delivered", attempts, http_status: httpStatus, error, at };
    if (error) failures.push(`channel ${slot} (${channel.kind}): ${error}`);
  }
  if (Object.keys(updates).length > 0) await ref.update(updates);
  if (failures.length > 0) throw new Error(`alert ${alertId} not delivered: ${failures.join("; ")}`);
  return AlertSchema.parse(plainData((await ref.get()).data()));
}

export const onAlertCreated = onDocumentCreated({ document: triggerPaths.alert, retry: true, secrets: [alertSigningKey], timeoutSeconds: 60, memory: "256MiB" }, async (event) => {
  const db = maestroDb();
  const { tenantId, alertId } = event.params;
  await retryUntilEndCondition(
    db,
    { id: event.id, time: new Date(event.time), trigger: "onAlertCreated", source: paths.alert(tenantId, alertId), tenant_id: tenantId, body: paths.alert(tenantId, alertId) },
    { max_age_ms: MAX_ALERT_AGE_MS, since: "the alert was raised" },
    () => deliverAlert(db, tenantId, alertId),
  );
});
