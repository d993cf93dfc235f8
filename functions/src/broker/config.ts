/**
 * Where Maestro's broker is and how patiently to talk to it. The credentials are not here:
 * they are a secret (HTTP Basic username and password) handed to the adapter separately,
 * so a config can be stored, logged and shown without leaking them.
 *
 * Names follow hummingbot-api's own rule for account names (services/accounts_service.py,
 * SAFE_NAME_PATTERN: letters, digits, '_' and '-'), so a name it would refuse with a 400 is
 * refused here first, with the field named.
 */
import { z } from "zod";

/** A request that has not answered in this long is abandoned (the default). */
export const BROKER_TIMEOUT_DEFAULT_MS = 5_000;
/**
 * Bounds of timeout_ms, per request. A broker that takes a minute to answer is down, and
 * an emergency stop should say so rather than wait on it.
 */
export const BROKER_TIMEOUT_MIN_MS = 100;
export const BROKER_TIMEOUT_MAX_MS = 60_000;
/** Pages of one listing followed before the adapter gives up (the default, and the ceiling). */
export const BROKER_MAX_PAGES_DEFAULT = 50;
export const BROKER_MAX_PAGES_CEILING = 1_000;

const HUMMINGBOT_NAME = /^[A-Za-z0-9_-]+$/;

const BaseUrlSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute URL such as http://hummingbot-api:8000" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: "must use http or https" });
    }
    if (url.username !== "" || url.password !== "") {
      ctx.addIssue({ code: "custom", message: "must not carry credentials (they are a secret passed to the adapter)" });
    }
    if (url.search !== "" || url.hash !== "") {
      ctx.addIssue({ code: "custom", message: "must not have a query or a fragment" });
    }
  })
  // Paths are appended to it: "http://h:8000/" and "http://h:8000" are the same server.
  .transform((value) => value.replace(/\/+$/, ""));

const AccountNameSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(HUMMINGBOT_NAME, "may contain only letters, digits, '_' and '-' (hummingbot-api's rule for account names)");

const ConnectorNameSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(HUMMINGBOT_NAME, "may contain only letters, digits, '_' and '-' (e.g. binance_perpetual)");

export const BrokerConfigSchema = z
  .object({
    kind: z.literal("hummingbot", { error: 'must be "hummingbot" (the only broker Maestro speaks to)' }),
    base_url: BaseUrlSchema,
    account_name: AccountNameSchema,
    connectors: z
      .array(ConnectorNameSchema, { error: "must be a list of connector names" })
      .min(1, "must name at least one connector")
      .max(32, "must name at most 32 connectors")
      .refine((names) => new Set(names).size === names.length, "must not name a connector twice"),
    timeout_ms: z
      .number({ error: "must be a number" })
      .int("must be a whole number of milliseconds")
      .min(BROKER_TIMEOUT_MIN_MS, `must be at least ${BROKER_TIMEOUT_MIN_MS}`)
      .max(BROKER_TIMEOUT_MAX_MS, `must be at most ${BROKER_TIMEOUT_MAX_MS} (a minute)`)
      .default(BROKER_TIMEOUT_DEFAULT_MS),
    max_pages: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(BROKER_MAX_PAGES_CEILING, `must be at most ${BROKER_MAX_PAGES_CEILING}`)
      .default(BROKER_MAX_PAGES_DEFAULT),
    /** Items per page of a listing (hummingbot-api's `limit`, 1–1000). */
    page_size: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(1_000, "must be at most 1000 (hummingbot-api's limit)")
      .default(100),
  })
  .strict();
export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;
