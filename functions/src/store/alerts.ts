/**
 * Raising an alert (issue 11): `tenants/{t}/alerts/{alert_id}`, created once, so the id
 * deduplicates. Shared by every stage that reports a decision (the emergency stop, the
 * health check, the cycle's risk locks, the audit); stages/alerts.ts delivers it.
 */
import type { Firestore } from "firebase-admin/firestore";
import type { Alert, AlertSeverity } from "../schemas";
import { isAlreadyExists } from "./firestore";
import { paths } from "./paths";
import { logEvent } from "../log-events";

export interface RaisedAlert {
  /** Stable for the event, so raising it again is a no-op: e.g. `emergency_stop_{day}_{n}`. */
  id: string;
  severity: AlertSeverity;
  code: string;
  title: string;
  message: string;
  at: string;
}

/** Writes the alert once; false when it was raised before. Never throws on a duplicate. */
export async function raiseAlert(db: Firestore, tenantId: string, alert: RaisedAlert): Promise<boolean> {
  const id = alert.id.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 200);
  const doc: Alert = { alert_id: id, tenant_id: tenantId, severity: alert.severity, code: alert.code, title: alert.title, message: alert.message, at: alert.at, deliveries: {} };
  try {
    await db.doc(paths.alert(tenantId, id)).create(doc);
    logEvent.alertRaised({ tenant_id: tenantId, alert_id: id, alert_severity: alert.severity, code: alert.code });
    return true;
  } catch (error) {
    if (isAlreadyExists(error)) return false;
    throw error;
  }
}

/** Raises an alert for a decision already made: a failure to raise it is logged, never the decision's failure. */
export async function raiseAlertSafely(db: Firestore, tenantId: string, alert: RaisedAlert): Promise<void> {
  try {
    await raiseAlert(db, tenantId, alert);
  } catch (error) {
    logEvent.alertNotRaised({ tenant_id: tenantId, alert_id: alert.id, code: alert.code, error: error instanceof Error ? error.message : String(error) });
  }
}
