/**
 * Issue 13's proof: every orchestration the emulator suite produced replays identically.
 * Run last (test/support/sequencer.js; tenants are only deactivated after each file, so
 * their orchestrations are all still here): each orchestration in the database is replayed
 * through the core from its recorded inputs (store/replay.ts readRecordedInputs →
 * core/replay.ts replayAndCompare; directly, without the callable, and writing no finding).
 *
 * Reported apart, never skipped silently:
 * - documents under orchestrations/ that are not orchestrations (the rules file's fixtures);
 * - orchestrations without recorded inputs (there should be none: the suite writes every
 *   orchestration through the cycle, and the imported demo data holds none);
 * - orchestrations an adversarial test edited after they were logged (their content no
 *   longer matches the digest their log recorded): their replay must find the edit.
 */
import { FieldPath, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { orchestrationDigest } from "../../src/core/hash-chain";
import { replayAndCompare } from "../../src/core/replay";
import { InputsRefSchema, OrchestrationSchema } from "../../src/schemas";
import { IoCount, plainData } from "../../src/store/firestore";
import { orchestrationLogId, paths } from "../../src/store/paths";
import { readRecordedInputs } from "../../src/store/replay";
import { adminDb } from "../support/emulator";

const PAGE = 200;

test("replay of every orchestration the emulator suite produced: all identical", async () => {
  const db = adminDb();
  const started = Date.now();
  const io = new IoCount();
  const report = {
    documents: 0,
    replayed: 0,
    identical: 0,
    not_orchestrations: [] as string[],
    without_inputs: [] as string[],
    unverifiable: [] as string[],
    edited_after_logging: [] as { path: string; caught: string[] }[],
    different: [] as { path: string; differences: unknown[] }[],
  };

  const check = async (doc: QueryDocumentSnapshot) => {
    report.documents += 1;
    const tenantId = doc.ref.parent.parent!.id;
    const stored = plainData(doc.data()) as Record<string, unknown>;
    if (!OrchestrationSchema.safeParse(stored).success) return void report.not_orchestrations.push(doc.ref.path);
    const ref = InputsRefSchema.safeParse(stored.inputs_ref);
    if (stored.inputs_ref === undefined) return void report.without_inputs.push(doc.ref.path);
    if (!ref.success) return void report.unverifiable.push(`${doc.ref.path}: inputs_ref malformed`);
    const read = await readRecordedInputs(db, tenantId, ref.data, io);
    if (!read.ok) return void report.unverifiable.push(`${doc.ref.path}: ${read.reason}`);
    const comparison = replayAndCompare(read.record, stored);
    report.replayed += 1;
    if (comparison.identical) return void (report.identical += 1);
    // Edited after it was logged? Then its log's digest says so, and the replay must have caught it.
    const log = await db.doc(paths.log(orchestrationLogId(String(stored.timestamp), doc.id))).get();
    if (log.exists && log.get("orchestration_digest") !== orchestrationDigest(stored)) {
      report.edited_after_logging.push({ path: doc.ref.path, caught: comparison.differences.map((d) => d.path) });
    } else {
      report.different.push({ path: doc.ref.path, differences: comparison.differences.slice(0, 5) });
    }
  };

  let last: QueryDocumentSnapshot | undefined;
  for (;;) {
    let query = db.collectionGroup("orchestrations").orderBy(FieldPath.documentId()).limit(PAGE);
    if (last) query = query.startAfter(last);
    const page = await query.get();
    await Promise.all(page.docs.map(check));
    if (page.size < PAGE) break;
    last = page.docs[page.size - 1];
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `replay-everything: ${report.replayed} orchestrations replayed, ${report.identical} identical, in ${seconds} s (${io.reads} inputs reads); ` +
      `${report.without_inputs.length} without recorded inputs, ${report.edited_after_logging.length} edited after logging by a test (each caught: ${report.edited_after_logging.map((e) => e.caught.join(" ")).join("; ") || "none"}), ` +
      `${report.not_orchestrations.length} documents that are not orchestrations (${report.not_orchestrations.join(", ") || "none"})`,
  );
  expect(report.different).toEqual([]);
  expect(report.unverifiable).toEqual([]);
  expect(report.without_inputs).toEqual([]);
  for (const edited of report.edited_after_logging) expect(edited.caught.length).toBeGreaterThan(0);
  expect(report.replayed).toBe(report.identical + report.edited_after_logging.length);
  expect(report.replayed).toBeGreaterThan(0);
}, 600_000);
