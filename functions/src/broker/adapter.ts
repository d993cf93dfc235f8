/**
 * The broker as an emergency stop needs it: what the account is worth and can spend, what
 * is working on the exchange, and what to do about it (cancel an order, close a position).
 * One interface, one implementation per broker (broker/hummingbot.ts), chosen by config,
 * so the stop itself never speaks a wire format.
 *
 * Two rules run through the types:
 * - An answer from the broker is an acknowledgement, not an outcome. A cancel is
 *   "cancellation requested" and a closing order is "submitted"; whether the order went
 *   away or the position shrank is known only from a later listing (activeOrders,
 *   positions, trades). The types say so (`outcome: "cancel_requested"`, `"acknowledged"`),
 *   so no caller can read a fill into them.
 * - Every failure is a BrokerError with a `kind` a caller can branch on, a message that
 *   names the endpoint and the server's own words, and `retryable`, which is false
 *   whenever repeating could act twice (an order whose fate is unknown).
 *
 * Money and quantities are plain numbers, as the broker reports them.
 * Pure: no Firebase, no I/O; the implementations do the talking.
 */

export const BROKER_ERROR_KINDS = [
  /** 401/403: the credentials were refused. */
  "unauthorized",
  /** 404: the account, connector or order is not known to the broker. */
  "not_found",
  /** 400/422 (and other 4xx): the broker refused the request as written. */
  "bad_request",
  /** 503/429: the broker is up but not ready (e.g. trading rules not loaded yet); it acted on nothing. */
  "unavailable",
  /** 500 and other 5xx: the broker failed while handling the request. */
  "server",
  /** No answer within the configured timeout. */
  "timeout",
  /** No connection (refused, reset, DNS). */
  "network",
  /** An answer Maestro cannot read: not JSON, the wrong shape, a listing that never ends. */
  "protocol",
] as const;
export type BrokerErrorKind = (typeof BROKER_ERROR_KINDS)[number];

export interface BrokerErrorFields {
  kind: BrokerErrorKind;
  /** Method and path as sent, e.g. "POST /trading/orders". */
  endpoint: string;
  /** The HTTP status, or null when no one answer is at fault (timeout, network, a check before sending, a listing past its page bound). */
  status: number | null;
  /** The server's own words (its `detail`), or what went wrong when it gave none. */
  detail: string;
  retryable: boolean;
}

export class BrokerError extends Error implements BrokerErrorFields {
  readonly kind: BrokerErrorKind;
  readonly endpoint: string;
  readonly status: number | null;
  readonly detail: string;
  readonly retryable: boolean;

  constructor(fields: BrokerErrorFields) {
    const status = fields.status === null ? "" : ` (HTTP ${fields.status})`;
    super(`${fields.endpoint}: ${fields.kind}${status}: ${fields.detail}`);
    this.name = "BrokerError";
    this.kind = fields.kind;
    this.endpoint = fields.endpoint;
    this.status = fields.status;
    this.detail = fields.detail;
    this.retryable = fields.retryable;
  }
}

export type OrderSide = "BUY" | "SELL";
export type PositionSide = "LONG" | "SHORT";

/** One token held on one connector, valued at the broker's price. */
export interface Holding {
  token: string;
  units: number;
  /** Units not locked in open orders. */
  available_units: number;
  /** Price per unit in the broker's valuation currency (USD); 0 when the broker could not price it. */
  price: number;
  /** units × price, as the broker computed it. */
  value: number;
  /** available_units × price. */
  available_value: number;
}

export interface ConnectorPortfolio {
  connector_name: string;
  /** Sum of the holdings' values. */
  value: number;
  /** Sum of the holdings' available values. */
  available_value: number;
  holdings: Holding[];
}

/**
 * The account across its configured connectors. `equity` and `available_value` are what an
 * `account/snapshot` needs ({equity, buying_power, as_of}); `available_value` counts every
 * unlocked token at its price, so on a spot account it includes base assets and is an upper
 * bound on what a BUY can spend.
 */
export interface PortfolioState {
  account_name: string;
  equity: number;
  available_value: number;
  connectors: ConnectorPortfolio[];
  /** Held tokens the broker priced at 0, as "connector:token": equity is understated by them. */
  unpriced: string[];
  /** No later than the balances were read: the moment the request was sent. */
  as_of: Date;
}

export interface BrokerOrder {
  client_order_id: string;
  exchange_order_id: string | null;
  connector_name: string;
  trading_pair: string;
  side: OrderSide;
  /** LIMIT, MARKET, LIMIT_MAKER. */
  order_type: string;
  amount: number;
  /** null for a market order. */
  price: number | null;
  filled_amount: number;
  /** The broker's state: SUBMITTED, OPEN, PARTIALLY_FILLED, PENDING_CANCEL, … */
  status: string;
  created_at: Date;
  updated_at: Date;
}

export interface BrokerPosition {
  connector_name: string;
  trading_pair: string;
  side: PositionSide;
  /** Size in base units, always positive; `side` gives the direction. */
  amount: number;
  entry_price: number | null;
  unrealized_pnl: number | null;
  leverage: number | null;
}

export interface BrokerTrade {
  trade_id: string;
  /** The client order id of the order filled, when the broker still has it. */
  client_order_id: string | null;
  connector_name: string;
  trading_pair: string;
  side: OrderSide;
  amount: number;
  price: number;
  fee_paid: number;
  fee_currency: string | null;
  executed_at: Date;
}

export interface TradeListing {
  /** Newest first. */
  trades: BrokerTrade[];
  /**
   * Connectors whose listing may be cut short by the broker (hummingbot-api reads only the
   * newest trades of a window; see HummingbotAdapter.trades): narrow the window and ask again.
   */
  truncated_connectors: string[];
}

/** A market order that reduces a position: SELL closes a LONG, BUY closes a SHORT. */
export interface ClosingOrderRequest {
  connector_name: string;
  trading_pair: string;
  /** The side of the position being closed (not the side of the order). */
  position_side: PositionSide;
  /** Base units to close, > 0. */
  amount: number;
}

/** The broker accepted the order for submission. Nothing is filled yet; watch positions and trades. */
export interface OrderAcknowledgement {
  outcome: "acknowledged";
  client_order_id: string;
  connector_name: string;
  trading_pair: string;
  side: OrderSide;
  order_type: "MARKET";
  amount: number;
  /** The broker's own word for it ("submitted"). */
  broker_status: string;
}

/** The broker started cancelling. The order is gone only when a listing no longer shows it. */
export interface CancelAcknowledgement {
  outcome: "cancel_requested";
  client_order_id: string;
  connector_name: string;
  /** The broker's own words, e.g. "Order cancellation initiated for …". */
  message: string;
}

export interface BrokerStatus {
  /** The server answered as a running broker API. */
  reachable: boolean;
  version: string | null;
  /** Configured connectors the broker holds credentials for on the account; null when it could not be asked. */
  connectors_configured: string[] | null;
  /** Configured connectors the broker holds no credentials for; null when it could not be asked. */
  connectors_missing: string[] | null;
  /**
   * Reachable, credentials accepted, every configured connector has keys on the account.
   * Not a promise that a connector has loaded its trading rules: an order may still meet a
   * 503 (unavailable, retryable) while it starts.
   */
  ready: boolean;
  /** Why it is not ready, when a request failed. */
  problem: { kind: BrokerErrorKind; message: string } | null;
}

export interface BrokerAdapter {
  readonly kind: string;
  /** Never throws: a failure is reported as `problem`. */
  status(): Promise<BrokerStatus>;
  portfolioState(): Promise<PortfolioState>;
  /** Every active order on the configured connectors, all pages followed. */
  activeOrders(): Promise<BrokerOrder[]>;
  cancelOrder(order: { connector_name: string; client_order_id: string }): Promise<CancelAcknowledgement>;
  placeClosingOrder(request: ClosingOrderRequest): Promise<OrderAcknowledgement>;
  /** Open positions on the configured connectors (perpetuals; spot holdings are in portfolioState). */
  positions(): Promise<BrokerPosition[]>;
  trades(window?: { since?: Date; until?: Date }): Promise<TradeListing>;
}

/** The order side that reduces a position on `side`. */
export function closingSide(side: PositionSide): OrderSide {
  return side === "LONG" ? "SELL" : "BUY";
}

export interface CancelAllOutcome {
  /** Orders the broker started cancelling, in listing order. */
  requested: CancelAcknowledgement[];
  /**
   * Orders the broker refused to cancel, or did not answer about, in listing order. A 404
   * is here too: it may be an order that filled meanwhile, but hummingbot-api answers 404
   * for an unknown account as well, so it is not taken as "already gone".
   */
  failed: { order: BrokerOrder; error: BrokerError }[];
}

/** Cancels in flight at once: an emergency stop should not wait on them one by one, nor flood a slow broker. */
export const CANCEL_CONCURRENCY = 4;

/**
 * Requests the cancellation of every active order. One order's failure does not stop the
 * others; it is reported with its reason. A listing that fails throws: then nothing is
 * known about what is working, and pretending otherwise would be worse than stopping.
 */
export async function cancelAllOrders(
  broker: BrokerAdapter,
  options: { concurrency?: number; keep?: (order: BrokerOrder) => boolean } = {},
): Promise<CancelAllOutcome> {
  const concurrency = options.concurrency ?? CANCEL_CONCURRENCY;
  // An order the caller keeps (an emergency stop's own closing orders) is neither cancelled nor reported.
  const orders = (await broker.activeOrders()).filter((o) => !options.keep?.(o));
  const results: ({ ok: CancelAcknowledgement } | { error: BrokerError })[] = new Array(orders.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < orders.length) {
      const i = next++;
      try {
        results[i] = { ok: await broker.cancelOrder(orders[i]) };
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        results[i] = { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, orders.length)) }, worker));
  const outcome: CancelAllOutcome = { requested: [], failed: [] };
  results.forEach((r, i) => {
    if ("ok" in r) outcome.requested.push(r.ok);
    else outcome.failed.push({ order: orders[i], error: r.error });
  });
  return outcome;
}
