/**
 * The cursor of a paged walk of a tenant's log chain (verifyLogChain, the daily
 * verification). It carries the last link verified (log id, seq, hash), so a resumed walk
 * checks that link is still the one it verified and continues from its hash, and the
 * running count. Under a chain key it is MACed, so a caller cannot forge a cursor that
 * skips part of the chain; unkeyed, the chain itself is forgeable and the response says so.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ChainKeys } from "./chain-keys";
import { canonicalJson, type ChainPosition } from "./hash-chain";

export interface ChainWalkState {
  tenant_id: string;
  /** The last link verified intact; null before the first. */
  after: ChainPosition | null;
  /** Links verified since the walk started. */
  logs_checked: number;
  started_at: string;
}

export class ChainCursorError extends Error {
  constructor(message: string) {
    super(`cursor: ${message}`);
    this.name = "ChainCursorError";
  }
}

const MAC_CONTEXT = "maestro-log-chain-cursor/v1\n";

function mac(secret: string, state: ChainWalkState): string {
  return createHmac("sha256", secret).update(MAC_CONTEXT + canonicalJson(state), "utf8").digest("hex");
}

export function encodeChainCursor(state: ChainWalkState, keys: ChainKeys | null): string {
  const body = keys ? { s: state, k: keys.current.id, m: mac(keys.current.secret, state) } : { s: state };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

/** The state a cursor carries, for this tenant, with its MAC checked under the configured keys. */
export function decodeChainCursor(cursor: string, tenantId: string, keys: ChainKeys | null): ChainWalkState {
  let body: { s?: unknown; k?: unknown; m?: unknown };
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new ChainCursorError("is not a cursor returned by verifyLogChain");
  }
  const state = body?.s as ChainWalkState | undefined;
  const after = state?.after;
  const wellFormed =
    state !== undefined &&
    typeof state === "object" &&
    typeof state.tenant_id === "string" &&
    Number.isInteger(state.logs_checked) &&
    state.logs_checked >= 0 &&
    typeof state.started_at === "string" &&
    (after === null ||
      (typeof after === "object" && typeof after?.log_id === "string" && Number.isInteger(after?.seq) && after.seq >= 1 && typeof after?.hash === "string"));
  if (!wellFormed) throw new ChainCursorError("is not a cursor returned by verifyLogChain");
  if (state.tenant_id !== tenantId) throw new ChainCursorError(`belongs to tenant '${state.tenant_id}', not '${tenantId}'`);
  const clean: ChainWalkState = {
    tenant_id: state.tenant_id,
    after: after ? { log_id: after.log_id, seq: after.seq, hash: after.hash } : null,
    logs_checked: state.logs_checked,
    started_at: state.started_at,
  };
  if (keys) {
    const key = typeof body.k === "string" ? keys.byId.get(body.k) : undefined;
    if (!key || typeof body.m !== "string") throw new ChainCursorError("is not signed by a configured chain key; start the walk again without a cursor");
    const expected = Buffer.from(mac(key.secret, clean), "hex");
    const given = Buffer.from(body.m, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ChainCursorError("signature does not match (altered); start the walk again without a cursor");
    }
  }
  return clean;
}
