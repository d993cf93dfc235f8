/**
 * Which pending signals one cycle takes. Oldest first (server `created_at`, then id), so
 * nobody jumps the queue with ids that sort first; at most MAX_SIGNALS_PER_CYCLE; and no
 * more than a byte budget well under Firestore's 1 MiB document limit, since the
 * orchestration and its log each carry every signal. What is not taken stays pending for
 * the next cycle. A signal too large to ever fit, or whose id Maestro does not accept, is
 * rejected with the reason rather than left to block the queue.
 */
import { DocIdSchema, parseWithReason } from "../schemas";

/** One atomic batch per cycle (500 writes): the orchestration, then a nonce and a status update per signal. */
export const MAX_SIGNALS_PER_CYCLE = 200;

/** Estimated bytes of the cycle's signals in the orchestration (and again in its log). */
export const SIGNAL_BYTES_BUDGET = 400 * 1024;

/** A signal document larger than this is rejected (RawSignalSchema allows far less: reasoning ≤ 2,000 characters). */
export const MAX_SIGNAL_DOCUMENT_BYTES = 16 * 1024;

/** What orchestration adds to a raw signal: names, identity, reasons, notional. */
export const ENRICHMENT_BYTES = 1024;

export interface QueuedSignal {
  id: string;
  data: unknown;
  /** UTF-8 bytes of the stored document as JSON. */
  bytes: number;
}

export interface QueueTake<T extends QueuedSignal> {
  taken: T[];
  rejected: { signal_id: string; reason: string }[];
  /** Signals left pending because the count or the byte budget was reached. */
  left: number;
}

export function documentBytes(data: unknown): number {
  return Buffer.byteLength(JSON.stringify(data) ?? "", "utf8");
}

/** `queue` is already in queue order (oldest first). */
export function takeSignals<T extends QueuedSignal>(queue: readonly T[], maxCount = MAX_SIGNALS_PER_CYCLE, budgetBytes = SIGNAL_BYTES_BUDGET): QueueTake<T> {
  const taken: T[] = [];
  const rejected: { signal_id: string; reason: string }[] = [];
  let used = 0;
  let index = 0;
  for (; index < queue.length; index++) {
    const doc = queue[index];
    if (taken.length + rejected.length >= maxCount) break;
    const id = parseWithReason(DocIdSchema, doc.id);
    if (!id.ok) {
      rejected.push({ signal_id: doc.id, reason: `signal id: ${id.reason.replace(/^\(document\): /, "")}` });
      continue;
    }
    if (doc.bytes > MAX_SIGNAL_DOCUMENT_BYTES) {
      rejected.push({ signal_id: doc.id, reason: `document: is ${doc.bytes} bytes, more than a signal may be (${MAX_SIGNAL_DOCUMENT_BYTES})` });
      continue;
    }
    const cost = doc.bytes + ENRICHMENT_BYTES;
    if (used + cost > budgetBytes) break;
    used += cost;
    taken.push(doc);
  }
  return { taken, rejected, left: queue.length - index };
}
