/**
 * Firestore access for the stages: the Admin SDK handle, conversion of stored data to
 * plain values for the schemas, and a count of document reads and writes so each stage
 * can record what it cost (the benchmark reads these counts).
 */
import { getApps, initializeApp } from "firebase-admin/app";
import {
  DocumentSnapshot,
  Firestore,
  QuerySnapshot,
  Timestamp,
  getFirestore,
} from "firebase-admin/firestore";
import { z } from "zod";
import { parseWithReason } from "../schemas";

export function maestroDb(): Firestore {
  // The functions runtime may register apps of its own; only the default one counts here.
  if (!getApps().some((app) => app.name === "[DEFAULT]")) initializeApp();
  return getFirestore();
}

/** Document reads and writes made by one stage run, as Firestore bills them. */
export class IoCount {
  reads = 0;
  writes = 0;
  /** A get() or a query: a query that matches nothing is billed as one read. */
  read(snapshot: DocumentSnapshot | QuerySnapshot | readonly DocumentSnapshot[]): void {
    if (snapshot instanceof DocumentSnapshot) this.reads += 1;
    else if (snapshot instanceof QuerySnapshot) this.reads += Math.max(1, snapshot.size);
    else this.reads += snapshot.length;
  }
  write(n = 1): void {
    this.writes += n;
  }
  toJSON(): { reads: number; writes: number } {
    return { reads: this.reads, writes: this.writes };
  }
}

/** Firestore Timestamps become Dates, recursively; everything else is kept. */
export function plainData(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toDate();
  if (Array.isArray(value)) return value.map(plainData);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainData(v)]));
  }
  return value;
}

/** A document parsed through its schema, or the reason (naming the field) it was rejected. */
export type Parsed<T> = { id: string; ok: true; value: T } | { id: string; ok: false; reason: string; raw: unknown };

export function parseDoc<S extends z.ZodType>(schema: S, snap: DocumentSnapshot): Parsed<z.infer<S>> {
  const raw = plainData(snap.data());
  const result = parseWithReason(schema, raw);
  return result.ok ? { id: snap.id, ok: true, value: result.value } : { id: snap.id, ok: false, reason: result.reason, raw };
}

/** Removes undefined fields (Firestore rejects them) by a JSON round trip of plain data. */
export function storable<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;

function grpcCode(error: unknown): unknown {
  return (error as { code?: unknown })?.code;
}

/** A create() of a document that exists: the write was already made. */
export function isAlreadyExists(error: unknown): boolean {
  return grpcCode(error) === ALREADY_EXISTS;
}

/** Lost a race: an existing document, a failed precondition, an aborted transaction. */
export function isContention(error: unknown): boolean {
  const code = grpcCode(error);
  return code === ALREADY_EXISTS || code === FAILED_PRECONDITION || code === ABORTED;
}
