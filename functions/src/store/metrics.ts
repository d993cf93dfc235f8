/**
 * tenants/{t}/metrics/{YYYY-MM-DD}: read, apply a pure update (core/cycle-metrics.ts),
 * write — inside the transaction of the effect being counted, so an effect that happens
 * once is counted once, however often its trigger fires.
 */
import type { Firestore, Transaction } from "firebase-admin/firestore";
import { emptyMetrics } from "../core/cycle-metrics";
import { DailyMetricsSchema, type DailyMetrics } from "../schemas/metrics";
import { plainData } from "./firestore";
import { paths } from "./paths";

export function metricsDay(instantIso: string): string {
  return instantIso.slice(0, 10);
}

/** Reads the day's metrics in `tx` (call before the transaction's writes); returns a writer. */
export async function readDailyMetrics(
  db: Firestore,
  tx: Transaction,
  tenantId: string,
  day: string,
): Promise<{ metrics: DailyMetrics; write: (next: DailyMetrics) => void }> {
  const ref = db.doc(paths.metrics(tenantId, day));
  const snap = await tx.get(ref);
  const parsed = snap.exists ? DailyMetricsSchema.safeParse(plainData(snap.data())) : null;
  // A metrics document that no longer parses is restarted rather than blocking the effect it counts.
  const metrics = parsed?.success ? parsed.data : emptyMetrics(tenantId, day);
  return { metrics, write: (next) => tx.set(ref, JSON.parse(JSON.stringify(next))) };
}

/** A metrics update on its own, for effects that are not in a transaction already. */
export async function updateDailyMetrics(db: Firestore, tenantId: string, day: string, apply: (m: DailyMetrics) => DailyMetrics): Promise<void> {
  await db.runTransaction(async (tx) => {
    const { metrics, write } = await readDailyMetrics(db, tx, tenantId, day);
    write(apply(metrics));
  });
}
