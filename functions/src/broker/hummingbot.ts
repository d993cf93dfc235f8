/**
 * The BrokerAdapter for the Hummingbot API server (hummingbot/hummingbot-api, FastAPI).
 *
 * The wire format, as read in its source (routers/trading.py, routers/portfolio.py,
 * models/trading.py, models/pagination.py, main.py, services/accounts_service.py):
 * - Every router sits behind HTTP Basic auth (main.py `auth_user`); `GET /` does not.
 *   A refusal is 401 `{"detail": "Incorrect username or password"}`.
 * - Errors are FastAPI's `{"detail": ...}`: a string from an HTTPException, a list of
 *   `{loc, msg, type}` for a request that fails validation (422).
 * - `POST /portfolio/state` {account_names, connector_names, skip_gateway, refresh} answers
 *   `{account: {connector: [{token, units, price, value, available_units}]}}`, with no
 *   timestamp; `refresh: false` would return a cache up to minutes old.
 * - The listings (`/trading/orders/active`, `/trading/positions`, `/trading/trades`) take
 *   `{…filters, limit (1..1000), cursor}` and answer `{data: [...], pagination: {limit,
 *   has_more, next_cursor, total_count}}`. The cursor is the last item's key; a cursor the
 *   server no longer finds (its order closed between pages) restarts the listing from the
 *   top, so items are de-duplicated by key and the number of pages is bounded.
 * - `POST /trading/orders` {account_name, connector_name, trading_pair, trade_type,
 *   amount, order_type, price, position_action} answers 201 with the request echoed,
 *   `order_id` (the client order id) and `status: "submitted"`: submitted, not filled.
 *   Amounts come back as decimal strings (pydantic Decimal). Before submitting, the server
 *   answers 503 "Trading rules not yet loaded for {connector}. Please try again in a
 *   moment." while the connector is starting.
 * - `POST /trading/{account}/{connector}/orders/{client_order_id}/cancel` answers
 *   `{"message": "Order cancellation initiated for {id}"}`, 404 "Order '{id}' not found in
 *   active orders", or 500 "Failed to initiate order cancellation: …".
 * - `GET /accounts/{account}/credentials` lists the connectors the account holds keys for
 *   (404 for an unknown account).
 */
import { z } from "zod";
import { parseWithReason } from "../schemas";
import {
  BrokerError,
  closingSide,
  type BrokerAdapter,
  type BrokerErrorKind,
  type BrokerOrder,
  type BrokerPosition,
  type BrokerStatus,
  type BrokerTrade,
  type CancelAcknowledgement,
  type ClosingOrderRequest,
  type ConnectorPortfolio,
  type OrderAcknowledgement,
  type PortfolioState,
  type PositionSide,
  type TradeListing,
} from "./adapter";
import type { BrokerConfig } from "./config";

export interface HummingbotCredentials {
  username: string;
  password: string;
}

export interface HummingbotAdapterOptions {
  /** Items asked for per page; the server allows 1..1000 and defaults to 100. */
  pageSize?: number;
  /** The clock that dates a portfolio state; tests fix it. */
  now?: () => Date;
}

export const HUMMINGBOT_PAGE_SIZE_DEFAULT = 100;
export const HUMMINGBOT_PAGE_SIZE_MAX = 1000;
/** Longest server detail kept in an error message. */
const DETAIL_MAX_CHARS = 300;

// ---------------------------------------------------------------------------
// Wire shapes (what the server sends; unknown fields are ignored, as pydantic does)
// ---------------------------------------------------------------------------

/** A number, or the decimal string pydantic writes for a Decimal. */
const WireNumber = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, "must be a decimal number")], {
    error: "must be a number",
  })
  .transform(Number)
  .refine(Number.isFinite, "must be finite");
const WireTime = z
  .string({ error: "must be an ISO-8601 date-time" })
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date-time")
  .transform((s) => new Date(s));
const WireSide = z.enum(["BUY", "SELL"], { error: 'must be "BUY" or "SELL"' });

const RootWire = z.object({ name: z.string(), version: z.string(), status: z.string() });

const HoldingWire = z.object({
  token: z.string(),
  units: WireNumber,
  price: WireNumber,
  value: WireNumber,
  available_units: WireNumber,
});
const PortfolioWire = z.record(z.string(), z.record(z.string(), z.array(HoldingWire)));

const OrderWire = z.object({
  order_id: z.string().min(1, "must not be empty"),
  connector_name: z.string(),
  trading_pair: z.string(),
  trade_type: WireSide,
  order_type: z.string(),
  amount: WireNumber,
  price: WireNumber.nullable(),
  status: z.string(),
  filled_amount: WireNumber,
  created_at: WireTime,
  updated_at: WireTime,
  exchange_order_id: z.string().nullable().optional(),
});

const PositionWire = z.object({
  connector_name: z.string(),
  trading_pair: z.string(),
  /** hummingbot's PositionSide name: LONG, SHORT, or BOTH (one-way mode, sign in amount). */
  side: z.string(),
  amount: WireNumber,
  entry_price: WireNumber.nullable(),
  unrealized_pnl: WireNumber.nullable(),
  leverage: WireNumber.nullable(),
});

const TradeWire = z.object({
  trade_id: z.string().min(1, "must not be empty"),
  order_id: z.string().nullable(),
  connector_name: z.string().nullable(),
  trading_pair: z.string(),
  trade_type: WireSide,
  amount: WireNumber,
  price: WireNumber,
  fee_paid: WireNumber,
  fee_currency: z.string().nullable(),
  timestamp: WireTime,
});

const PageWire = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    pagination: z.object({
      has_more: z.boolean(),
      next_cursor: z.string().nullable().optional(),
      total_count: z.number().int().optional(),
    }),
  });

const TradeResponseWire = z.object({
  order_id: z.string().min(1, "must not be empty"),
  connector_name: z.string(),
  trading_pair: z.string(),
  trade_type: z.string(),
  amount: WireNumber,
  order_type: z.string(),
  status: z.string(),
});

const CancelResponseWire = z.object({ message: z.string() });
const CredentialsWire = z.array(z.string());

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

function errorKind(status: number): BrokerErrorKind {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404) return "not_found";
  if (status === 503 || status === 429) return "unavailable";
  if (status >= 500) return "server";
  return "bad_request";
}

/**
 * Whether the same request may be sent again. A read, or a cancel (a repeat of one that
 * went through is a 404), always after a failure that may pass; an order only after 503 or
 * 429, where hummingbot-api refused before submitting anything (it checks the trading rules
 * first). After a timeout, a reset connection or a 5xx the order's fate is unknown, and a
 * second closing order could close twice.
 */
function isRetryable(kind: BrokerErrorKind, repeatable: boolean): boolean {
  if (kind === "unavailable") return true;
  return repeatable && (kind === "timeout" || kind === "network" || kind === "server");
}

function cap(text: string): string {
  return text.length <= DETAIL_MAX_CHARS ? text : `${text.slice(0, DETAIL_MAX_CHARS)}… (${text.length} characters)`;
}

/** The server's `detail` as one line: a string as is, FastAPI's validation list as "loc: msg; …". */
function serverDetail(raw: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw.trim() === "" ? "(empty body)" : cap(raw.trim());
  }
  const detail = (parsed as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return cap(detail);
  if (Array.isArray(detail)) {
    return cap(
      detail
        .map((d: { loc?: unknown; msg?: unknown }) => {
          const loc = Array.isArray(d?.loc) ? d.loc.join(" -> ") : "";
          return loc ? `${loc}: ${String(d?.msg)}` : String(d?.msg ?? JSON.stringify(d));
        })
        .join("; "),
    );
  }
  return cap(detail === undefined ? raw : JSON.stringify(detail));
}

function networkDetail(error: unknown, baseUrl: string): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const why = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : String((error as Error)?.message ?? error);
  return `could not reach ${baseUrl}: ${why}`;
}

// ---------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------

interface Call {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** Everything but `GET /` is behind Basic auth. */
  auth: boolean;
  /** Safe to send again (see isRetryable). */
  repeatable: boolean;
}

interface Answer {
  status: number;
  json: unknown;
}

export class HummingbotAdapter implements BrokerAdapter {
  readonly kind = "hummingbot";
  private readonly authorization: string;
  private readonly pageSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly config: BrokerConfig,
    credentials: HummingbotCredentials,
    options: HummingbotAdapterOptions = {},
  ) {
    // Checked here, never echoed: the values are a secret.
    if (credentials.username === "") throw new Error("broker credentials: username must not be empty");
    if (credentials.username.includes(":")) throw new Error("broker credentials: username must not contain ':' (HTTP Basic)");
    if (credentials.password === "") throw new Error("broker credentials: password must not be empty");
    this.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
    const pageSize = options.pageSize ?? HUMMINGBOT_PAGE_SIZE_DEFAULT;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > HUMMINGBOT_PAGE_SIZE_MAX) {
      throw new Error(`pageSize: must be a whole number from 1 to ${HUMMINGBOT_PAGE_SIZE_MAX} (hummingbot-api's limit), got ${pageSize}`);
    }
    this.pageSize = pageSize;
    this.now = options.now ?? (() => new Date());
  }

  async status(): Promise<BrokerStatus> {
    const down = (error: BrokerError): BrokerStatus => ({
      reachable: false,
      version: null,
      connectors_configured: null,
      connectors_missing: null,
      ready: false,
      problem: { kind: error.kind, message: error.message },
    });
    let version: string;
    try {
      version = this.parse(RootWire, await this.call({ method: "GET", path: "/", auth: false, repeatable: true }), "GET /").version;
    } catch (error) {
      if (error instanceof BrokerError) return down(error);
      throw error;
    }
    const path = `/accounts/${encodeURIComponent(this.config.account_name)}/credentials`;
    try {
      const held = new Set(this.parse(CredentialsWire, await this.call({ method: "GET", path, auth: true, repeatable: true }), `GET ${path}`));
      const configured = this.config.connectors.filter((c) => held.has(c));
      const missing = this.config.connectors.filter((c) => !held.has(c));
      return { reachable: true, version, connectors_configured: configured, connectors_missing: missing, ready: missing.length === 0, problem: null };
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      return { ...down(error), reachable: true, version };
    }
  }

  async portfolioState(): Promise<PortfolioState> {
    const endpoint = "POST /portfolio/state";
    // Dated when the request is sent, not when it is answered: refresh: true makes the server
    // read the balances from the exchanges after that moment (not from its cache, minutes
    // old), so whatever happened before as_of is in them, which is what a snapshot's as_of
    // promises the reservations (core/reservations.ts).
    const asOf = this.now();
    const body = {
      account_names: [this.config.account_name],
      connector_names: this.config.connectors,
      skip_gateway: true,
      refresh: true,
    };
    const answer = await this.call({ method: "POST", path: "/portfolio/state", body, auth: true, repeatable: true });
    const state = this.parse(PortfolioWire, answer, endpoint);
    const account = state[this.config.account_name];
    if (account === undefined) {
      throw this.failure(endpoint, "not_found", answer.status, `the server has no portfolio state for account '${this.config.account_name}' (it answered for: ${Object.keys(state).join(", ") || "none"})`, true);
    }
    // A connector the server does not list would make the equity silently short.
    const missing = this.config.connectors.filter((c) => account[c] === undefined);
    if (missing.length > 0) {
      throw this.failure(endpoint, "not_found", answer.status, `the server has no portfolio state for connector(s) ${missing.join(", ")} of account '${this.config.account_name}'`, true);
    }
    const unpriced: string[] = [];
    const connectors: ConnectorPortfolio[] = this.config.connectors.map((name) => {
      const holdings = account[name].map((h) => {
        if (h.price === 0 && h.units !== 0) unpriced.push(`${name}:${h.token}`);
        return { token: h.token, units: h.units, available_units: h.available_units, price: h.price, value: h.value, available_value: h.available_units * h.price };
      });
      return {
        connector_name: name,
        value: sum(holdings.map((h) => h.value)),
        available_value: sum(holdings.map((h) => h.available_value)),
        holdings,
      };
    });
    return {
      account_name: this.config.account_name,
      equity: sum(connectors.map((c) => c.value)),
      available_value: sum(connectors.map((c) => c.available_value)),
      connectors,
      unpriced,
      as_of: asOf,
    };
  }

  async activeOrders(): Promise<BrokerOrder[]> {
    const orders = await this.listAll("/trading/orders/active", this.accountFilter(), OrderWire, (o) => `${o.connector_name}\u0000${o.order_id}`);
    return orders.items.map((o) => ({
      client_order_id: o.order_id,
      exchange_order_id: o.exchange_order_id ?? null,
      connector_name: o.connector_name,
      trading_pair: o.trading_pair,
      side: o.trade_type,
      order_type: o.order_type,
      amount: o.amount,
      price: o.price,
      filled_amount: o.filled_amount,
      status: o.status,
      created_at: o.created_at,
      updated_at: o.updated_at,
    }));
  }

  async cancelOrder(order: { connector_name: string; client_order_id: string }): Promise<CancelAcknowledgement> {
    const path = `/trading/${encodeURIComponent(this.config.account_name)}/${encodeURIComponent(order.connector_name)}/orders/${encodeURIComponent(order.client_order_id)}/cancel`;
    const answer = this.parse(CancelResponseWire, await this.call({ method: "POST", path, auth: true, repeatable: true }), `POST ${path}`);
    return { outcome: "cancel_requested", client_order_id: order.client_order_id, connector_name: order.connector_name, message: answer.message };
  }

  async placeClosingOrder(request: ClosingOrderRequest): Promise<OrderAcknowledgement> {
    const endpoint = "POST /trading/orders";
    if (!this.config.connectors.includes(request.connector_name)) {
      throw this.failure(endpoint, "bad_request", null, `connector '${request.connector_name}' is not in the broker config (${this.config.connectors.join(", ")}); nothing was sent`, false);
    }
    if (!Number.isFinite(request.amount) || request.amount <= 0) {
      throw this.failure(endpoint, "bad_request", null, `amount must be a number greater than 0 (got ${request.amount}); nothing was sent`, false);
    }
    const side = closingSide(request.position_side);
    const body = {
      account_name: this.config.account_name,
      connector_name: request.connector_name,
      trading_pair: request.trading_pair,
      trade_type: side,
      amount: request.amount,
      order_type: "MARKET",
      // Perpetual connectors reduce the position instead of opening the other side; spot
      // connectors ignore it (routers/trading.py passes it through to connector.buy/sell).
      position_action: "CLOSE",
    };
    const response = await this.call({ method: "POST", path: "/trading/orders", body, auth: true, repeatable: false });
    const answer = this.parse(TradeResponseWire, response, endpoint);
    // The answer echoes the request; an echo of another order means it is not ours to read.
    if (answer.connector_name !== request.connector_name || answer.trading_pair !== request.trading_pair || answer.trade_type !== side) {
      throw this.failure(
        endpoint,
        "protocol",
        response.status,
        `the acknowledgement is for ${answer.trade_type} ${answer.trading_pair} on ${answer.connector_name}, not the ${side} ${request.trading_pair} on ${request.connector_name} sent`,
        false,
      );
    }
    return {
      outcome: "acknowledged",
      client_order_id: answer.order_id,
      connector_name: answer.connector_name,
      trading_pair: answer.trading_pair,
      side,
      order_type: "MARKET",
      amount: answer.amount,
      broker_status: answer.status,
    };
  }

  async positions(): Promise<BrokerPosition[]> {
    const endpoint = "POST /trading/positions";
    const listed = await this.listAll("/trading/positions", this.accountFilter(), PositionWire, (p) => `${p.connector_name}\u0000${p.trading_pair}\u0000${p.side}`);
    return listed.items.map((p) => ({
      connector_name: p.connector_name,
      trading_pair: p.trading_pair,
      side: this.positionSide(endpoint, listed.status, p),
      amount: Math.abs(p.amount),
      entry_price: p.entry_price,
      unrealized_pnl: p.unrealized_pnl,
      leverage: p.leverage,
    }));
  }

  /**
   * Trades in the window, newest first, one connector at a time. hummingbot-api reads only
   * the newest 2 × limit trades of the window per request and pages within them
   * (routers/trading.py get_trades): when a connector's total reaches that, older trades
   * of the window may be missing and the connector is named in `truncated_connectors`.
   * Asked per connector because with several the server filters after that cut, and the
   * cut could no longer be seen.
   */
  async trades(window: { since?: Date; until?: Date } = {}): Promise<TradeListing> {
    const trades: BrokerTrade[] = [];
    const truncated: string[] = [];
    for (const connector of this.config.connectors) {
      const filter: Record<string, unknown> = { account_names: [this.config.account_name], connector_names: [connector] };
      if (window.since) filter.start_time = window.since.getTime();
      if (window.until) filter.end_time = window.until.getTime();
      const listed = await this.listAll("/trading/trades", filter, TradeWire, (t) => t.trade_id);
      if ((listed.totalCount ?? 0) >= 2 * this.pageSize) truncated.push(connector);
      for (const t of listed.items) {
        trades.push({
          trade_id: t.trade_id,
          client_order_id: t.order_id,
          connector_name: t.connector_name ?? connector,
          trading_pair: t.trading_pair,
          side: t.trade_type,
          amount: t.amount,
          price: t.price,
          fee_paid: t.fee_paid,
          fee_currency: t.fee_currency,
          executed_at: t.timestamp,
        });
      }
    }
    trades.sort((a, b) => b.executed_at.getTime() - a.executed_at.getTime() || (a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0));
    return { trades, truncated_connectors: truncated };
  }

  // -------------------------------------------------------------------------

  private accountFilter(): Record<string, unknown> {
    return { account_names: [this.config.account_name], connector_names: this.config.connectors };
  }

  /** LONG/SHORT as reported; BOTH (one-way mode) by the sign of the amount. A side that contradicts the sign is not guessed at. */
  private positionSide(endpoint: string, status: number, p: z.infer<typeof PositionWire>): PositionSide {
    const where = `${p.trading_pair} on ${p.connector_name}`;
    if ((p.side === "LONG" && p.amount < 0) || (p.side === "SHORT" && p.amount > 0)) {
      throw this.failure(endpoint, "protocol", status, `position ${where} is ${p.side} with amount ${p.amount}: the side contradicts the sign`, true);
    }
    if (p.side === "LONG" || p.side === "SHORT") return p.side;
    if (p.amount > 0) return "LONG";
    if (p.amount < 0) return "SHORT";
    throw this.failure(endpoint, "protocol", status, `position ${where} has side ${p.side} and amount 0: its direction is unknown`, true);
  }

  /** Follows `next_cursor` until `has_more` is false, at most `max_pages` pages. */
  private async listAll<T extends z.ZodType>(
    path: string,
    filter: Record<string, unknown>,
    item: T,
    key: (item: z.infer<T>) => string,
  ): Promise<{ items: z.infer<T>[]; totalCount: number | undefined; status: number }> {
    const endpoint = `POST ${path}`;
    const byKey = new Map<string, z.infer<T>>();
    let cursor: string | null = null;
    let totalCount: number | undefined;
    for (let page = 1; page <= this.config.max_pages; page++) {
      const body = cursor === null ? { ...filter, limit: this.pageSize } : { ...filter, limit: this.pageSize, cursor };
      const response = await this.call({ method: "POST", path, body, auth: true, repeatable: true });
      const answer = this.parse(PageWire(item), response, endpoint);
      totalCount ??= answer.pagination.total_count;
      // A repeat (the server restarted the listing) replaces the earlier copy: it is newer.
      for (const entry of answer.data as z.infer<T>[]) byKey.set(key(entry), entry);
      if (!answer.pagination.has_more) return { items: [...byKey.values()], totalCount, status: response.status };
      const next = answer.pagination.next_cursor;
      if (next === null || next === undefined || next === "") {
        throw this.failure(endpoint, "protocol", response.status, `page ${page} says has_more but gives no next_cursor`, true);
      }
      cursor = next;
    }
    throw this.failure(
      endpoint,
      "protocol",
      null,
      `still has_more after max_pages (${this.config.max_pages}) pages of ${this.pageSize}: ${byKey.size} items read, the rest not listed`,
      true,
    );
  }

  private parse<T extends z.ZodType>(schema: T, answer: Answer, endpoint: string): z.infer<T> {
    const parsed = parseWithReason(schema, answer.json);
    if (!parsed.ok) throw this.failure(endpoint, "protocol", answer.status, `unexpected body: ${parsed.reason}`, true);
    return parsed.value;
  }

  private failure(endpoint: string, kind: BrokerErrorKind, status: number | null, detail: string, repeatable: boolean): BrokerError {
    return new BrokerError({ kind, endpoint, status, detail, retryable: isRetryable(kind, repeatable) });
  }

  /** One request, bounded by timeout_ms from sending to the last byte of the body. Returns a 2xx and its JSON. */
  private async call(call: Call): Promise<Answer> {
    const endpoint = `${call.method} ${call.path}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (call.auth) headers.authorization = this.authorization;
    if (call.body !== undefined) headers["content-type"] = "application/json";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeout_ms);
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.config.base_url}${call.path}`, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        // Not followed: the Authorization header would go wherever the redirect points.
        redirect: "manual",
        signal: controller.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw this.failure(endpoint, "timeout", null, `no answer within ${this.config.timeout_ms} ms (timeout_ms)`, call.repeatable);
      }
      throw this.failure(endpoint, "network", null, networkDetail(error, this.config.base_url), call.repeatable);
    } finally {
      clearTimeout(timer);
    }
    if (status >= 300 && status < 400) {
      throw this.failure(endpoint, "protocol", status, "the server redirected; redirects are not followed (the credentials would go with them)", call.repeatable);
    }
    if (status < 200 || status >= 300) {
      const kind = errorKind(status);
      throw this.failure(endpoint, kind, status, serverDetail(text), call.repeatable);
    }
    try {
      return { status, json: JSON.parse(text) };
    } catch {
      throw this.failure(endpoint, "protocol", status, `the body is not JSON: ${cap(text.trim()) || "(empty body)"}`, call.repeatable);
    }
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
