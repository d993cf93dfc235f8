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

/**
 * A config document larger than this is rejected without being parsed: no valid config
 * comes near it (the default one is about 1 KiB), and a huge one written around the
 * callable (say, fifty thousand holidays) must not cost every job that reads it.
 */
export const CONFIG_BYTE_LIMIT = 64 * 1024;

/** Approximate stored size of a document's data (its JSON text). */
export function approximateBytes(data: unknown): number {
  return Buffer.byteLength(JSON.stringify(data ?? null), "utf8");
}

export async function loadMaestroConfig(db: Firestore, tenantId: string, io: IoCount): Promise<LoadedConfig> {
  const snap = await db.doc(paths.config(tenantId)).get();
  io.read(snap);
  return configFromSnapshot(db, tenantId, snap, io);
}

/** Many tenants' configs in batched reads (db.getAll), for the fan-outs. */
export async function readConfigSnapshots(db: Firestore, tenantIds: readonly string[], io: IoCount, batchSize = 100): Promise<Map<string, DocumentSnapshot | Error>> {
  const out = new Map<string, DocumentSnapshot | Error>();
  const batches: Promise<void>[] = [];
  for (let i = 0; i < tenantIds.length; i += batchSize) {
    const ids = tenantIds.slice(i, i + batchSize);
    batches.push(
      db.getAll(...ids.map((t) => db.doc(paths.config(t)))).then(
        (snaps) => {
          io.read(snaps);
          snaps.forEach((snap, k) => out.set(ids[k], snap));
        },
        (error: unknown) => {
          // One failed batch costs its tenants this run, not everyone's.
          for (const t of ids) out.set(t, error instanceof Error ? error : new Error(String(error)));
        },
      ),
    );
  }
  await Promise.all(batches);
  return out;
}

/** The config in force from an already-read config document (marking it accepted or rejected). */
export async function configFromSnapshot(db: Firestore, tenantId: string, snap: DocumentSnapshot, io: IoCount): Promise<LoadedConfig> {
  if (!snap.exists) return { config: DEFAULT_CONFIG, source: "defaults", rejection: null };

  const previousValidation = snap.get("validation") as { status?: string; reason?: string } | undefined;
  const bytes = approximateBytes(snap.data());
  if (bytes > CONFIG_BYTE_LIMIT) {
    const reason = `(document): is about ${bytes} bytes, above the ${CONFIG_BYTE_LIMIT}-byte limit of a config`;
    if (previousValidation?.status !== "rejected" || previousValidation.reason !== reason) {
      await snap.ref.set({ validation: { status: "rejected", reason, checked_at: new Date().toISOString() } }, { merge: true });
      io.write();
    }
    const lastValid = await db.doc(paths.lastValidConfig(tenantId)).get();
    io.read(lastValid);
    const fallback = lastValid.exists ? MaestroConfigSchema.safeParse(lastValid.data()) : null;
    return fallback?.success ? { config: fallback.data, source: "last_valid", rejection: reason } : { config: DEFAULT_CONFIG, source: "defaults", rejection: reason };
  }
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
