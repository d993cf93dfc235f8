/**
 * A loopback stand-in for the Hummingbot API server (hummingbot/hummingbot-api), so the
 * broker adapter's real HTTP path (auth header, bodies, pagination, error mapping, timeouts)
 * runs without an exchange. It answers the routes Maestro uses, in their wire format as
 * read in hummingbot-api's source:
 * - `GET /` (no auth), `GET /accounts/{account}/credentials`
 * - `POST /portfolio/state`
 * - `POST /trading/orders/active`, `/trading/positions`, `/trading/trades` (cursor pages,
 *   built like models/pagination.py `paginate_by_cursor`, including its restart from the
 *   top when the cursor is no longer in the list)
 * - `POST /trading/orders` (201, "submitted": the order joins the active orders unfilled)
 * - `POST /trading/{account}/{connector}/orders/{client_order_id}/cancel`
 * with HTTP Basic auth on everything but `GET /`, and FastAPI's `{"detail": …}` errors.
 *
 * State is plain data the test seeds and inspects (`state`); faults are injected through
 * `faults` and `answerOnce`. Every request is logged as the server saw it. Unit tests start
 * it on an ephemeral port; emulator tests and the demo can pass a fixed one.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One row of `/portfolio/state` (services/gateway_wallet_service.py `balance_entry`). */
export interface FakeHolding {
  token: string;
  units: number;
  price: number;
  value: number;
  available_units: number;
}

/** An in-flight order as `/trading/orders/active` lists it (routers/trading.py `_standardize_in_flight_order_response`). */
export interface FakeOrder {
  order_id: string;
  account_name: string;
  connector_name: string;
  trading_pair: string;
  trade_type: "BUY" | "SELL";
  order_type: string;
  amount: number;
  price: number | null;
  status: string;
  filled_amount: number;
  average_fill_price: number | null;
  fee_paid: number | null;
  fee_currency: string | null;
  created_at: string;
  updated_at: string;
  exchange_order_id: string | null;
  error_message: string | null;
}

/** A position as `/trading/positions` lists it (services/perpetual_trading_service.py). */
export interface FakePosition {
  account_name: string;
  connector_name: string;
  trading_pair: string;
  side: string;
  amount: number;
  entry_price: number | null;
  unrealized_pnl: number | null;
  leverage: number | null;
}

/** A fill as `/trading/trades` lists it (database/repositories/trade_repository.py `to_dict`). */
export interface FakeTrade {
  trade_id: string;
  order_id: string | null;
  account_name: string;
  connector_name: string;
  trading_pair: string;
  trade_type: string;
  amount: number;
  price: number;
  fee_paid: number;
  fee_currency: string | null;
  /** ISO-8601 with offset, as Postgres timestamptz gives it. */
  timestamp: string;
}

export interface FakeHummingbotState {
  /** account → connector → holdings. The connectors listed are the ones the account holds credentials for. */
  portfolio: Record<string, Record<string, FakeHolding[]>>;
  orders: FakeOrder[];
  positions: FakePosition[];
  trades: FakeTrade[];
  /** connector → the trading pairs it has rules for. A connector absent here is still loading them (503 on orders). */
  trading_rules: Record<string, string[]>;
}

export interface FakeHummingbotFaults {
  /** The next N order placements answer 503 "Trading rules not yet loaded for {connector}. …". */
  tradingRulesNotLoaded: number;
  /** Every answer waits this long first, to force client timeouts. */
  delayMs: number;
  /** Cancels of these client order ids answer 500 "Failed to initiate order cancellation: {reason}". */
  cancelFailures: Record<string, string>;
}

export interface FakeHummingbotRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: any;
  /** The Authorization header as sent. */
  authorization: string | undefined;
  /** The username decoded from a Basic header. */
  username: string | undefined;
}

export interface FakeHummingbot {
  /** Base URL for the adapter's config, e.g. "http://127.0.0.1:9561". */
  url: string;
  port: number;
  state: FakeHummingbotState;
  faults: FakeHummingbotFaults;
  requests: FakeHummingbotRequest[];
  /** The next request to `method path` gets this raw answer instead (after auth), once. */
  answerOnce(method: string, path: string, status: number, body: string): void;
  /** Called with each request as it arrives, before it is answered (e.g. to change the state between pages). */
  onRequest: ((request: FakeHummingbotRequest) => void) | null;
  /** Back to the seeded state, no faults, no requests logged. */
  reset(): void;
  close(): Promise<void>;
}

/** A resting LIMIT order, OPEN and unfilled, as `/trading/orders/active` lists it. */
export function openLimitOrder(
  where: { account_name: string; connector_name: string },
  id: string,
  pair: string,
  side: "BUY" | "SELL",
  amount: number,
  price: number,
  at = "2026-11-30T13:00:00+00:00",
): FakeOrder {
  return {
    order_id: id, ...where, trading_pair: pair, trade_type: side, order_type: "LIMIT", amount, price,
    status: "OPEN", filled_amount: 0, average_fill_price: null, fee_paid: null, fee_currency: null,
    created_at: at, updated_at: at, exchange_order_id: `ex-${id}`, error_message: null,
  };
}

/**
 * The exchange fills each closing market order at once: its position goes (what an emergency
 * stop's polling then sees). An order refused while trading rules load fills nothing.
 */
export function fillClosingOrdersAtOnce(fake: FakeHummingbot): void {
  fake.onRequest = (request) => {
    if (request.method !== "POST" || request.path !== "/trading/orders" || request.body?.position_action !== "CLOSE") return;
    if (fake.faults.tradingRulesNotLoaded > 0) return;
    fake.state.positions = fake.state.positions.filter((p) => p.trading_pair !== request.body.trading_pair);
  };
}

export interface FakeHummingbotOptions {
  username: string;
  password: string;
  state: FakeHummingbotState;
  port?: number;
  /** Dates placed orders; tests fix it. */
  now?: () => Date;
}

export const FAKE_HUMMINGBOT_VERSION = "1.0.1";

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
}

const noFaults = (): FakeHummingbotFaults => ({ tradingRulesNotLoaded: 0, delayMs: 0, cancelFailures: {} });

function sendJson(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const json = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json), ...headers });
  res.end(json);
}

function decodeBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (!header || !header.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// --- request bodies, checked as pydantic would (422 with FastAPI's detail list) -------------

function invalid(field: string, msg: string, input: unknown): HttpError {
  return new HttpError(422, [{ type: "value_error", loc: ["body", field], msg, input }]);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(422, [{ type: "model_attributes_type", loc: ["body"], msg: "Input should be a valid dictionary or object to extract fields from", input: body }]);
  }
  return body as Record<string, unknown>;
}

function optionalNames(body: Record<string, unknown>, field: string): string[] | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalid(field, "Input should be a valid list of strings", v);
  return v as string[];
}

function pageParams(body: Record<string, unknown>): { limit: number; cursor: string | null } {
  const limit = body.limit ?? 100;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid("limit", "Input should be an integer from 1 to 1000", limit);
  }
  const cursor = body.cursor ?? null;
  if (cursor !== null && typeof cursor !== "string") throw invalid("cursor", "Input should be a valid string", cursor);
  return { limit, cursor };
}

function optionalMillis(body: Record<string, unknown>, field: string): number | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) throw invalid(field, "Input should be a valid integer", v);
  return v;
}

function decimal(body: Record<string, unknown>, field: string): number {
  const v = body[field];
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw invalid(field, "Input should be a valid decimal", v);
  return n;
}

function oneOf<T extends string>(body: Record<string, unknown>, field: string, allowed: readonly T[], fallback?: T): T {
  const v = body[field] ?? fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw invalid(field, `Input should be ${allowed.map((a) => `'${a}'`).join(" or ")}`, body[field]);
  }
  return v as T;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== "string") throw v === undefined ? new HttpError(422, [{ type: "missing", loc: ["body", field], msg: "Field required", input: body }]) : invalid(field, "Input should be a valid string", v);
  return v;
}

// --- models/pagination.py paginate_by_cursor --------------------------------------------------

type Keyed<T> = T & { _cursor_id: string };

function paginateByCursor<T>(items: Keyed<T>[], cursor: string | null, limit: number, compare: (a: Keyed<T>, b: Keyed<T>) => number) {
  items.sort(compare);
  let start = 0;
  if (cursor) {
    // As in hummingbot-api: a cursor no longer in the list starts again from the top.
    const at = items.findIndex((item) => item._cursor_id === cursor);
    if (at >= 0) start = at + 1;
  }
  const end = start + limit;
  const page = items.slice(start, end);
  const hasMore = end < items.length;
  const nextCursor = page.length > 0 && hasMore ? page[page.length - 1]._cursor_id : null;
  return {
    data: page.map(({ _cursor_id, ...rest }) => rest),
    pagination: { limit, has_more: hasMore, next_cursor: nextCursor, total_count: items.length },
  };
}

const ascending = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function startFakeHummingbot(options: FakeHummingbotOptions): Promise<FakeHummingbot> {
  const seed = JSON.stringify(options.state);
  const now = options.now ?? (() => new Date());
  const requests: FakeHummingbotRequest[] = [];
  const overrides: { key: string; status: number; body: string }[] = [];
  const sockets = new Set<Socket>();
  const pendingAnswers = new Set<NodeJS.Timeout>();
  let placed = 0;

  const fake = {
    state: JSON.parse(seed) as FakeHummingbotState,
    faults: noFaults(),
  };
  const hooks: { onRequest: ((request: FakeHummingbotRequest) => void) | null } = { onRequest: null };

  const accounts = () => Object.keys(fake.state.portfolio);
  const connectorsOf = (account: string) => Object.keys(fake.state.portfolio[account] ?? {});
  const scope = (body: Record<string, unknown>) => {
    const accountNames = optionalNames(body, "account_names");
    const connectorNames = optionalNames(body, "connector_names");
    return (account: string, connector: string) =>
      accounts().includes(account) &&
      (accountNames === null || accountNames.includes(account)) &&
      connectorsOf(account).includes(connector) &&
      (connectorNames === null || connectorNames.includes(connector));
  };

  function portfolioState(body: Record<string, unknown>): unknown {
    const accountNames = optionalNames(body, "account_names");
    const connectorNames = optionalNames(body, "connector_names");
    const out: Record<string, Record<string, FakeHolding[]>> = {};
    for (const account of accountNames ?? accounts()) {
      const held = fake.state.portfolio[account];
      if (held === undefined) continue;
      out[account] = {};
      for (const connector of connectorNames ?? Object.keys(held)) {
        if (held[connector] !== undefined) out[account][connector] = held[connector];
      }
    }
    return out;
  }

  function activeOrders(body: Record<string, unknown>): unknown {
    const { limit, cursor } = pageParams(body);
    const inScope = scope(body);
    const pairs = optionalNames(body, "trading_pairs");
    const items = fake.state.orders
      .filter((o) => inScope(o.account_name, o.connector_name) && (pairs === null || pairs.includes(o.trading_pair)))
      .map((o) => ({ ...o, _cursor_id: o.order_id }));
    return paginateByCursor(items, cursor, limit, (a, b) => ascending(a._cursor_id, b._cursor_id));
  }

  function positions(body: Record<string, unknown>): unknown {
    const { limit, cursor } = pageParams(body);
    const inScope = scope(body);
    const items = fake.state.positions
      // Only perpetual connectors have positions (routers/trading.py get_positions).
      .filter((p) => inScope(p.account_name, p.connector_name) && p.connector_name.includes("_perpetual") && p.amount !== 0)
      .map((p) => ({ ...p, _cursor_id: `${p.account_name}:${p.connector_name}:${p.trading_pair}` }));
    return paginateByCursor(items, cursor, limit, (a, b) => ascending(a._cursor_id, b._cursor_id));
  }

  function trades(body: Record<string, unknown>): unknown {
    const { limit, cursor } = pageParams(body);
    const accountNames = optionalNames(body, "account_names");
    const connectorNames = optionalNames(body, "connector_names");
    const pairs = optionalNames(body, "trading_pairs");
    const types = optionalNames(body, "trade_types");
    const start = optionalMillis(body, "start_time");
    const end = optionalMillis(body, "end_time");
    const single = (names: string[] | null) => (names !== null && names.length === 1 ? names[0] : null);
    let all: FakeTrade[] = [];
    for (const account of accountNames ?? accounts()) {
      // The database query: single-valued filters, newest first, 2 × limit rows (trade_repository.py).
      const rows = fake.state.trades
        .filter(
          (t) =>
            t.account_name === account &&
            (single(connectorNames) === null || t.connector_name === single(connectorNames)) &&
            (single(pairs) === null || t.trading_pair === single(pairs)) &&
            (single(types) === null || t.trade_type === single(types)) &&
            (start === null || Date.parse(t.timestamp) >= start) &&
            (end === null || Date.parse(t.timestamp) <= end),
        )
        .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp))
        .slice(0, limit * 2);
      all = all.concat(rows);
    }
    // Several values of a filter are applied after the cut (routers/trading.py get_trades).
    if (connectorNames !== null && connectorNames.length > 1) all = all.filter((t) => connectorNames.includes(t.connector_name));
    if (pairs !== null && pairs.length > 1) all = all.filter((t) => pairs.includes(t.trading_pair));
    if (types !== null && types.length > 1) all = all.filter((t) => types.includes(t.trade_type));
    const items = all.map((t) => ({ ...t, _cursor_id: `${t.timestamp}:${t.trade_id}` }));
    // sort_key (timestamp, _cursor_id), reverse=True
    return paginateByCursor(items, cursor, limit, (a, b) => ascending(b.timestamp, a.timestamp) || ascending(b._cursor_id, a._cursor_id));
  }

  function placeOrder(body: Record<string, unknown>): { status: number; payload: unknown } {
    const account = requiredString(body, "account_name");
    const connector = requiredString(body, "connector_name");
    const pair = requiredString(body, "trading_pair");
    const tradeType = oneOf(body, "trade_type", ["BUY", "SELL"] as const);
    const amount = decimal(body, "amount");
    if (!(amount > 0)) throw invalid("amount", "Input should be greater than 0", body.amount);
    const orderType = oneOf(body, "order_type", ["LIMIT", "MARKET", "LIMIT_MAKER"] as const, "LIMIT");
    const price = body.price === undefined || body.price === null ? null : decimal(body, "price");
    oneOf(body, "position_action", ["OPEN", "CLOSE"] as const, "OPEN");
    // services/accounts_service.py place_trade, in its order of checks.
    if (!accounts().includes(account)) throw new HttpError(404, `Account '${account}' not found`);
    if (!connectorsOf(account).includes(connector)) throw new HttpError(500, `Unexpected error placing trade: connector '${connector}' is not configured for account '${account}'`);
    if (orderType !== "MARKET" && price === null) throw new HttpError(400, "Price is required for LIMIT and LIMIT_MAKER orders");
    const rules = fake.state.trading_rules[connector];
    if (fake.faults.tradingRulesNotLoaded > 0 || rules === undefined || rules.length === 0) {
      if (fake.faults.tradingRulesNotLoaded > 0) fake.faults.tradingRulesNotLoaded -= 1;
      throw new HttpError(503, `Trading rules not yet loaded for ${connector}. Please try again in a moment.`);
    }
    if (!rules.includes(pair)) throw new HttpError(400, `Trading pair '${pair}' not supported on ${connector}. Available pairs: [${rules.map((r) => `'${r}'`).join(", ")}]`);
    placed += 1;
    const orderId = `hbot-${tradeType.toLowerCase()}-${pair}-${placed}`;
    const at = now().toISOString().replace("Z", "+00:00");
    fake.state.orders.push({
      order_id: orderId,
      account_name: account,
      connector_name: connector,
      trading_pair: pair,
      trade_type: tradeType,
      order_type: orderType,
      amount,
      price,
      status: "SUBMITTED",
      filled_amount: 0,
      average_fill_price: null,
      fee_paid: null,
      fee_currency: null,
      created_at: at,
      updated_at: at,
      exchange_order_id: null,
      error_message: null,
    });
    // TradeResponse: Decimal fields are written as strings by pydantic.
    return {
      status: 201,
      payload: {
        order_id: orderId,
        account_name: account,
        connector_name: connector,
        trading_pair: pair,
        trade_type: tradeType,
        amount: String(body.amount),
        order_type: orderType,
        price: price === null ? null : String(body.price),
        status: "submitted",
      },
    };
  }

  function cancelOrder(account: string, connector: string, orderId: string): unknown {
    if (!accounts().includes(account)) throw new HttpError(404, `Account '${account}' not found`);
    if (!connectorsOf(account).includes(connector)) throw new HttpError(500, `Error cancelling order: connector '${connector}' is not configured for account '${account}'`);
    const at = fake.state.orders.findIndex((o) => o.account_name === account && o.connector_name === connector && o.order_id === orderId);
    if (at < 0) throw new HttpError(404, `Order '${orderId}' not found in active orders`);
    const reason = fake.faults.cancelFailures[orderId];
    if (reason !== undefined) throw new HttpError(500, `Failed to initiate order cancellation: ${reason}`);
    fake.state.orders.splice(at, 1);
    return { message: `Order cancellation initiated for ${orderId}` };
  }

  const CANCEL_PATH = /^\/trading\/([^/]+)\/([^/]+)\/orders\/([^/]+)\/cancel$/;
  const CREDENTIALS_PATH = /^\/accounts\/([^/]+)\/credentials$/;

  /** Routes to a handler; undefined → FastAPI's 404 "Not Found". */
  function route(method: string, path: string): ((body: unknown) => { status: number; payload: unknown }) | undefined {
    const ok = (payload: unknown) => ({ status: 200, payload });
    if (method === "POST") {
      if (path === "/portfolio/state") return (b) => ok(portfolioState(objectBody(b)));
      if (path === "/trading/orders/active") return (b) => ok(activeOrders(objectBody(b)));
      if (path === "/trading/positions") return (b) => ok(positions(objectBody(b)));
      if (path === "/trading/trades") return (b) => ok(trades(objectBody(b)));
      if (path === "/trading/orders") return (b) => placeOrder(objectBody(b));
      const cancel = CANCEL_PATH.exec(path);
      if (cancel) return () => ok(cancelOrder(decodeURIComponent(cancel[1]), decodeURIComponent(cancel[2]), decodeURIComponent(cancel[3])));
    }
    if (method === "GET") {
      const credentials = CREDENTIALS_PATH.exec(path);
      if (credentials) {
        const account = decodeURIComponent(credentials[1]);
        return () => {
          if (!accounts().includes(account)) throw new HttpError(404, `Directory 'credentials/${account}/connectors' not found`);
          return ok(connectorsOf(account));
        };
      }
    }
    return undefined;
  }

  function answer(req: http.IncomingMessage, res: http.ServerResponse, path: string, body: unknown): void {
    const method = req.method ?? "";
    if (method === "GET" && path === "/") {
      sendJson(res, 200, { name: "Hummingbot API", version: FAKE_HUMMINGBOT_VERSION, status: "running" });
      return;
    }
    const handler = route(method, path);
    if (handler === undefined) {
      sendJson(res, 404, { detail: "Not Found" });
      return;
    }
    const credentials = decodeBasic(req.headers.authorization);
    if (credentials === undefined) {
      sendJson(res, 401, { detail: "Not authenticated" }, { "www-authenticate": "Basic" });
      return;
    }
    if (credentials.username !== options.username || credentials.password !== options.password) {
      sendJson(res, 401, { detail: "Incorrect username or password" }, { "www-authenticate": "Basic" });
      return;
    }
    const override = overrides.findIndex((o) => o.key === `${method} ${path}`);
    if (override >= 0) {
      const [o] = overrides.splice(override, 1);
      if (!res.destroyed && !res.writableEnded) {
        res.writeHead(o.status, { "content-type": "application/json", "content-length": Buffer.byteLength(o.body) });
        res.end(o.body);
      }
      return;
    }
    try {
      const { status, payload } = handler(body);
      sendJson(res, status, payload);
    } catch (error) {
      if (error instanceof HttpError) sendJson(res, error.status, { detail: error.detail });
      else sendJson(res, 500, { detail: `fake-hummingbot: ${String(error)}` });
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw === "" ? undefined : raw;
      try {
        if (raw !== "") body = JSON.parse(raw);
      } catch {
        // keep the raw text so a test can see what was sent
      }
      const path = (req.url ?? "").split("?")[0];
      const authorization = Array.isArray(req.headers.authorization) ? req.headers.authorization[0] : req.headers.authorization;
      const logged: FakeHummingbotRequest = { method: req.method ?? "", path, body, authorization, username: decodeBasic(authorization)?.username };
      requests.push(logged);
      hooks.onRequest?.(logged);
      // Faults are read when the request arrives, so a test changing them later does not alter an answer under way.
      const delay = fake.faults.delayMs;
      if (delay <= 0) {
        answer(req, res, path, body);
        return;
      }
      const timer = setTimeout(() => {
        pendingAnswers.delete(timer);
        answer(req, res, path, body);
      }, delay);
      pendingAnswers.add(timer);
      // The client gave up: drop the delayed answer (and its effect on the state).
      res.on("close", () => {
        clearTimeout(timer);
        pendingAnswers.delete(timer);
      });
    });
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get state() {
      return fake.state;
    },
    get faults() {
      return fake.faults;
    },
    requests,
    get onRequest() {
      return hooks.onRequest;
    },
    set onRequest(hook) {
      hooks.onRequest = hook;
    },
    answerOnce(method, path, status, body) {
      overrides.push({ key: `${method} ${path}`, status, body });
    },
    reset() {
      fake.state = JSON.parse(seed) as FakeHummingbotState;
      fake.faults = noFaults();
      requests.length = 0;
      overrides.length = 0;
      hooks.onRequest = null;
      placed = 0;
    },
    close() {
      for (const timer of pendingAnswers) clearTimeout(timer);
      pendingAnswers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections from fetch would otherwise hold server.close() open.
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return closed;
    },
  };
}
