/**
 * The ids every schema module shares: a trading day and a Firestore document id. A module
 * of its own (zod only) so the split schema modules that ./index composes (./agents) can
 * use them without importing ./index back.
 */
import { z } from "zod";

/** A trading day, `YYYY-MM-DD` (UTC calendar date of the execution or mark). */
export const TradingDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD");

/**
 * An id Maestro accepts for a tenant, strategy, signal or trade. Firestore refuses `/`,
 * `.` and `..`, and ids of the form `__…__` (reserved): checked here, where the id enters,
 * so a bad id is a clear invalid-argument or rejection and never a Firestore INTERNAL.
 */
export const DocIdSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, '_', '-' and '.'")
  .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'")
  .refine((s) => !/^__.*__$/.test(s), "must not be of the form __…__ (reserved by Firestore)");
