/**
 * The keys of the log chain (DESIGN.md: "The log chain is keyed (HMAC-SHA256 under a
 * secret, key id on each log)"). One secret value holds every key still needed to verify
 * old logs, so keys can rotate without breaking the chain:
 *
 *     MAESTRO_LOG_CHAIN_KEYS = "k2:<secret>,k1:<secret>"
 *
 * comma-separated `id:secret` entries; the FIRST entry is the current signing key, the
 * others only verify logs they signed. An id is 1–32 of [A-Za-z0-9_-]; a secret is at least
 * 32 characters without "," or whitespace (its UTF-8 bytes are the HMAC key; e.g. 64 hex
 * characters from `openssl rand -hex 32`). An empty or absent value means "no key": the
 * chain runs unkeyed (plain sha256) and every audit says so. Errors name the entry and
 * the rule, never the secret.
 */

export interface ChainKey {
  id: string;
  secret: string;
}

export interface ChainKeys {
  /** Signs every new log. */
  current: ChainKey;
  /** Every listed key by id, the current one included. */
  byId: ReadonlyMap<string, ChainKey>;
}

export class ChainKeyError extends Error {
  constructor(message: string) {
    super(`MAESTRO_LOG_CHAIN_KEYS: ${message}`);
    this.name = "ChainKeyError";
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_SECRET_LENGTH = 32;

/** Parses the secret's value; null when it is empty (unkeyed chain). Throws ChainKeyError. */
export function parseChainKeys(value: string | null | undefined): ChainKeys | null {
  if (value === null || value === undefined || value.trim() === "") return null;
  const byId = new Map<string, ChainKey>();
  let current: ChainKey | null = null;
  value
    .trim()
    .split(",")
    .forEach((raw, i) => {
      const entry = raw.trim();
      const where = `entry ${i + 1}`;
      if (entry === "") throw new ChainKeyError(`${where} is empty (expected id:secret, entries separated by ",")`);
      const colon = entry.indexOf(":");
      if (colon < 0) throw new ChainKeyError(`${where} has no ":" (expected id:secret)`);
      const id = entry.slice(0, colon);
      const secret = entry.slice(colon + 1);
      if (!KEY_ID.test(id)) throw new ChainKeyError(`${where}: key id ${JSON.stringify(id)} must be 1–32 of A-Z a-z 0-9 _ -`);
      if (byId.has(id)) throw new ChainKeyError(`${where}: key id '${id}' is listed twice`);
      if (/\s/.test(secret)) throw new ChainKeyError(`${where}: the secret of key '${id}' contains whitespace`);
      if (secret.length < MIN_SECRET_LENGTH) {
        throw new ChainKeyError(`${where}: the secret of key '${id}' is ${secret.length} characters, at least ${MIN_SECRET_LENGTH} are required`);
      }
      const key = { id, secret };
      byId.set(id, key);
      current ??= key;
    });
  return { current: current!, byId };
}

/** For messages: which keys are configured, never their secrets. */
export function describeChainKeys(keys: ChainKeys | null): string {
  return keys ? `keys ${[...keys.byId.keys()].join(", ")} (current ${keys.current.id})` : "no chain key";
}
