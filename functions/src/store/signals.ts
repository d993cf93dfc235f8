/**
 * The pending-signal queue of a tenant, oldest first: server `created_at`, then id.
 *
 * Client apps must write `created_at` as the server's time (firestore.rules). A writer
 * using the Admin SDK may leave it out; such signals cannot be found by the ordered query
 * (Firestore orders only documents that have the field), so a count of all pending
 * signals (one read) tells whether any exist, and only then are they looked up and
 * queued after every dated one, by id. Nothing pending is ever invisible, and nobody
 * jumps the queue by choosing an id.
 */
import type { DocumentSnapshot, Firestore, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { MAX_SIGNALS_PER_CYCLE, documentBytes, type QueuedSignal } from "../core/signal-queue";
import { IoCount, plainData } from "./firestore";
import { paths } from "./paths";

export interface StoredSignal extends QueuedSignal {
  snap: DocumentSnapshot;
}

export interface SignalQueue {
  /** In queue order; at most MAX_SIGNALS_PER_CYCLE + 1 of them. */
  signals: StoredSignal[];
  /** More pending than were read. */
  more: boolean;
}

function stored(doc: QueryDocumentSnapshot): StoredSignal {
  const data = plainData(doc.data());
  return { id: doc.id, data, bytes: documentBytes(data), snap: doc };
}

export async function readSignalQueue(db: Firestore, tenantId: string, io: IoCount, limit = MAX_SIGNALS_PER_CYCLE + 1): Promise<SignalQueue> {
  const pending = db.collection(paths.signals(tenantId)).where("status", "==", "pending");
  const [dated, count] = await Promise.all([
    pending.orderBy("created_at").orderBy("__name__").limit(limit).get(),
    pending.count().get(),
  ]);
  io.read(dated);
  io.reads += 1; // a count of up to 1,000 index entries is billed as one read
  const total = count.data().count;
  const signals = dated.docs.map(stored);
  if (signals.length >= limit) return { signals, more: total > signals.length };
  if (total <= signals.length) return { signals, more: false };

  // Some pending signals have no created_at: queue them after the dated ones, by id.
  const seen = new Set(signals.map((s) => s.id));
  const room = limit - signals.length;
  const undated: StoredSignal[] = [];
  let last: QueryDocumentSnapshot | undefined;
  while (undated.length < room) {
    let page = pending.orderBy("__name__").limit(limit);
    if (last) page = page.startAfter(last);
    const snap = await page.get();
    io.read(snap);
    for (const doc of snap.docs) if (!seen.has(doc.id) && doc.get("created_at") === undefined && undated.length < room) undated.push(stored(doc));
    if (snap.size < limit) break;
    last = snap.docs[snap.docs.length - 1];
  }
  const all = [...signals, ...undated];
  return { signals: all, more: total > all.length };
}
