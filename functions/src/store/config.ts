/**
 * Reading a tenant's Maestro config. An invalid config is never applied: it is marked
 * rejected on its own document with the reason (naming the field), and the cycle runs on
 * the last config that passed validation, or the defaults if there never was one.
 */
import type { DocumentSnapshot, Firestore } from "firebase-admin/firestore";
import { DEFAULT_CONFIG, MaestroConfigSchema, describeIssues, type MaestroConfig } from "../schemas";
import { IoCount, storable } from "./firestore";
import { paths } from "./paths";

export interface LoadedConfig {
  config: MaestroConfig;
  source: "tenant" | "defaults" | "last_valid";
  rejection: string | null;
}

/**
 * Fields Maestro writes on the config document itself; not part of the config: the
 * validation mark, and updateMaestroConfig's version stamp.
 */
export const CONFIG_STATUS_FIELDS = ["validation", "version", "updated_by", "updated_at", "update_reason"] as const;

/** The config fields of a stored config document (status fields removed). */
export function configFields(data: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...(data ?? {}) };
  for (const f of CONFIG_STATUS_FIELDS) delete out[f];
  return out;
}

export async function loadMaestroConfig(db: Firestore, tenantId: string, io: IoCount): Promise<LoadedConfig> {
  const snap = await db.doc(paths.config(tenantId)).get();
  io.read(snap);
  if (!snap.exists) return { config: DEFAULT_CONFIG, source: "defaults", rejection: null };

  const previousValidation = snap.get("validation") as { status?: string; reason?: string } | undefined;
  const data = configFields(snap.data());
  const parsed = MaestroConfigSchema.safeParse(data);
  if (parsed.success) {
    if (previousValidation?.status !== "accepted") {
      // Remember it as the last valid config and clear an earlier rejection.
      const batch = db.batch();
      batch.set(db.doc(paths.lastValidConfig(tenantId)), storable(parsed.data));
      batch.set(snap.ref, { validation: { status: "accepted", reason: null, checked_at: new Date().toISOString() } }, { merge: true });
      await batch.commit();
      io.write(2);
    }
    return { config: parsed.data, source: "tenant", rejection: null };
  }

  const reason = describeIssues(parsed.error, data);
  if (previousValidation?.status !== "rejected" || previousValidation.reason !== reason) {
    await snap.ref.set({ validation: { status: "rejected", reason, checked_at: new Date().toISOString() } }, { merge: true });
    io.write();
  }
  const lastValid = await db.doc(paths.lastValidConfig(tenantId)).get();
  io.read(lastValid);
  return { ...configInForce(snap, lastValid), rejection: reason };
}

/** The config in force: the stored one if valid, else the last valid one, else the defaults. */
export function configInForce(stored: DocumentSnapshot, lastValid: DocumentSnapshot): Omit<LoadedConfig, "rejection"> {
  const current = stored.exists ? MaestroConfigSchema.safeParse(configFields(stored.data())) : null;
  if (current?.success) return { config: current.data, source: "tenant" };
  const fallback = lastValid.exists ? MaestroConfigSchema.safeParse(lastValid.data()) : null;
  if (fallback?.success) return { config: fallback.data, source: "last_valid" };
  return { config: DEFAULT_CONFIG, source: "defaults" };
}
