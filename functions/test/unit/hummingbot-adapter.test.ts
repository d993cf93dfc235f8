/**
 * The Hummingbot API adapter against a loopback server speaking hummingbot-api's wire
 * format (src/tools/loopback-hummingbot.ts). Every expected value below is read off
 * the FIXTURE by hand: sums of holdings, the order of cursor pages, the server's messages.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { BrokerError, cancelAllOrders } from "../../src/broker/adapter";
import { BrokerConfigSchema, type BrokerConfig } from "../../src/broker/config";
import { HummingbotAdapter } from "../../src/broker/hummingbot";
import { describeIssues } from "../../src/schemas";
import { startFakeHummingbot, type FakeHummingbot, type FakeHummingbotState, type FakeOrder } from "../../src/tools/loopback-hummingbot";

const USERNAME = "maestro";
const PASSWORD = "s3cret-pass-777";
/** base64("maestro:s3cret-pass-777"), worked out once with `printf 'maestro:s3cret-pass-777' | base64`. */
const BASIC = "Basic bWFlc3RybzpzM2NyZXQtcGFzcy03Nzc=";
const AS_OF = new Date("2026-03-02T16:00:00.000Z");

function order(id: string, connector: string, pair: string, side: "BUY" | "SELL", amount: number, price: number, status = "OPEN", filled = 0, account = "desk_main"): FakeOrder {
  return {
    order_id: id, account_name: account, connector_name: connector, trading_pair: pair, trade_type: side, order_type: "LIMIT",
    amount, price, status, filled_amount: filled, average_fill_price: null, fee_paid: null, fee_currency: null,
    created_at: "2026-03-02T13:00:00+00:00", updated_at: "2026-03-02T13:30:00+00:00", exchange_order_id: `ex-${id}`, error_message: null,
  };
}

const FIXTURE: FakeHummingbotState = {
  portfolio: {
    desk_main: {
      binance: [
        { token: "USDT", units: 12_500, price: 1, value: 12_500, available_units: 10_000 },
        { token: "BTC", units: 0.5, price: 60_000, value: 30_000, available_units: 0.25 },
      ],
      binance_perpetual: [
        { token: "USDT", units: 8_000, price: 1, value: 8_000, available_units: 5_000 },
        // Held, but the server could not price it.
        { token: "XYZ", units: 100, price: 0, value: 0, available_units: 100 },
      ],
      // Not in Maestro's config: must not be asked for, nor counted.
      kraken: [{ token: "USD", units: 999_999, price: 1, value: 999_999, available_units: 999_999 }],
    },
    other_desk: { binance: [{ token: "USDT", units: 1_000_000, price: 1, value: 1_000_000, available_units: 1_000_000 }] },
  },
  orders: [
    // Listed by client order id: a1 b2 | c3 d4 | e5 with two to a page.
    order("ord-e5", "binance", "SOL-USDT", "BUY", 10, 120),
    order("ord-c3", "binance", "BTC-USDT", "SELL", 0.05, 65_000),
    order("ord-a1", "binance", "BTC-USDT", "BUY", 0.1, 55_000),
    order("ord-d4", "binance_perpetual", "BTC-USDT", "BUY", 0.01, 50_000),
    order("ord-b2", "binance_perpetual", "ETH-USDT", "SELL", 2, 3_500, "PARTIALLY_FILLED", 0.5),
    order("ord-k9", "kraken", "BTC-USD", "BUY", 1, 10_000),
    order("ord-x7", "binance", "BTC-USDT", "BUY", 3, 40_000, "OPEN", 0, "other_desk"),
  ],
  positions: [
    { account_name: "desk_main", connector_name: "binance_perpetual", trading_pair: "BTC-USDT", side: "LONG", amount: 0.2, entry_price: 58_000, unrealized_pnl: 400, leverage: 5 },
    // Binance reports a short with a negative amount.
    { account_name: "desk_main", connector_name: "binance_perpetual", trading_pair: "ETH-USDT", side: "SHORT", amount: -3, entry_price: 3_600, unrealized_pnl: -150, leverage: 3 },
    // One-way mode: side BOTH, direction in the sign.
    { account_name: "desk_main", connector_name: "binance_perpetual", trading_pair: "SOL-USDT", side: "BOTH", amount: -10, entry_price: 130, unrealized_pnl: 25, leverage: 2 },
    { account_name: "other_desk", connector_name: "binance_perpetual", trading_pair: "BTC-USDT", side: "LONG", amount: 1, entry_price: 50_000, unrealized_pnl: 0, leverage: 1 },
  ],
  trades: [
    { trade_id: "t-1", order_id: "ord-old1", account_name: "desk_main", connector_name: "binance", trading_pair: "BTC-USDT", trade_type: "BUY", amount: 0.5, price: 59_000, fee_paid: 29.5, fee_currency: "USDT", timestamp: "2026-03-02T14:00:00+00:00" },
    { trade_id: "t-2", order_id: "ord-b2", account_name: "desk_main", connector_name: "binance_perpetual", trading_pair: "ETH-USDT", trade_type: "SELL", amount: 0.5, price: 3_500, fee_paid: 0.875, fee_currency: "USDT", timestamp: "2026-03-02T14:05:00+00:00" },
    { trade_id: "t-3", order_id: "ord-old2", account_name: "desk_main", connector_name: "binance", trading_pair: "BTC-USDT", trade_type: "SELL", amount: 0.1, price: 61_000, fee_paid: 6.1, fee_currency: "USDT", timestamp: "2026-03-02T15:00:00+00:00" },
    { trade_id: "t-4", order_id: null, account_name: "desk_main", connector_name: "binance", trading_pair: "SOL-USDT", trade_type: "BUY", amount: 5, price: 118, fee_paid: 0.59, fee_currency: "USDT", timestamp: "2026-03-01T09:00:00+00:00" },
    { trade_id: "t-9", order_id: "ord-x7", account_name: "other_desk", connector_name: "binance", trading_pair: "BTC-USDT", trade_type: "BUY", amount: 3, price: 40_000, fee_paid: 12, fee_currency: "USDT", timestamp: "2026-03-02T15:30:00+00:00" },
  ],
  trading_rules: { binance: ["BTC-USDT", "SOL-USDT"], binance_perpetual: ["BTC-USDT", "ETH-USDT", "SOL-USDT"] },
};

let fake: FakeHummingbot;

beforeAll(async () => {
  fake = await startFakeHummingbot({ username: USERNAME, password: PASSWORD, state: FIXTURE, now: () => new Date("2026-03-02T16:00:05.000Z") });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function config(overrides: Partial<Record<string, unknown>> = {}): BrokerConfig {
  return BrokerConfigSchema.parse({ kind: "hummingbot", base_url: fake.url, account_name: "desk_main", connectors: ["binance", "binance_perpetual"], ...overrides });
}
function adapter(overrides: Partial<Record<string, unknown>> = {}, credentials = { username: USERNAME, password: PASSWORD }, pageSize = 2): HummingbotAdapter {
  return new HummingbotAdapter(config(overrides), credentials, { pageSize, now: () => AS_OF });
}
async function brokerError(promise: Promise<unknown>): Promise<BrokerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}
/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
const ACCOUNT_FILTER = { account_names: ["desk_main"], connector_names: ["binance", "binance_perpetual"] };

describe("BrokerConfigSchema", () => {
  test("defaults: timeout 5000 ms, 50 pages; a trailing slash is dropped", () => {
    expect(BrokerConfigSchema.parse({ kind: "hummingbot", base_url: "http://hummingbot-api:8000/", account_name: "master_account", connectors: ["binance"] })).toEqual({
      kind: "hummingbot", base_url: "http://hummingbot-api:8000", account_name: "master_account", connectors: ["binance"], timeout_ms: 5000, max_pages: 50, page_size: 100,
    });
  });

  test.each([
    [{ region: "eu" }, "region: is not a known field"],
    [{ kind: "alpaca" }, 'kind: must be "hummingbot" (the only broker Maestro speaks to) (got "alpaca")'],
    [{ base_url: "http://admin:admin@hummingbot-api:8000" }, "base_url: must not carry credentials (they are a secret passed to the adapter)"],
    [{ base_url: "hummingbot-api:8000" }, "base_url: must use http or https"],
    [{ base_url: "not a url" }, "base_url: must be an absolute URL such as http://hummingbot-api:8000"],
    [{ account_name: "../etc" }, "account_name: may contain only letters, digits, '_' and '-' (hummingbot-api's rule for account names)"],
    [{ connectors: [] }, "connectors: must name at least one connector"],
    [{ connectors: ["binance", "binance"] }, "connectors: must not name a connector twice"],
    [{ timeout_ms: 120_000 }, "timeout_ms: must be at most 60000 (a minute) (got 120000)"],
    [{ timeout_ms: 50 }, "timeout_ms: must be at least 100 (got 50)"],
    [{ max_pages: 0 }, "max_pages: must be at least 1 (got 0)"],
    [{ max_pages: 2.5 }, "max_pages: must be a whole number (got 2.5)"],
  ])("%j is refused: %s", (change, reason) => {
    const input = { kind: "hummingbot", base_url: "http://127.0.0.1:8000", account_name: "desk_main", connectors: ["binance"], ...change };
    const result = BrokerConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error, input)).toContain(reason);
  });
});

describe("portfolio state", () => {
  test("asks for the account's configured connectors, fresh, with Basic auth; sums equity and available value", async () => {
    const state = await adapter().portfolioState();

    expect(fake.requests).toEqual([
      { method: "POST", path: "/portfolio/state", body: { ...ACCOUNT_FILTER, skip_gateway: true, refresh: true }, authorization: BASIC, username: USERNAME },
    ]);
    expect(state).toEqual({
      account_name: "desk_main",
      // binance 12,500 + 30,000 = 42,500; binance_perpetual 8,000 + 0 = 8,000; kraken not counted.
      equity: 50_500,
      // binance 10,000 × 1 + 0.25 × 60,000 = 25,000; binance_perpetual 5,000 × 1 + 100 × 0 = 5,000.
      available_value: 30_000,
      connectors: [
        {
          connector_name: "binance", value: 42_500, available_value: 25_000,
          holdings: [
            { token: "USDT", units: 12_500, available_units: 10_000, price: 1, value: 12_500, available_value: 10_000 },
            { token: "BTC", units: 0.5, available_units: 0.25, price: 60_000, value: 30_000, available_value: 15_000 },
          ],
        },
        {
          connector_name: "binance_perpetual", value: 8_000, available_value: 5_000,
          holdings: [
            { token: "USDT", units: 8_000, available_units: 5_000, price: 1, value: 8_000, available_value: 5_000 },
            { token: "XYZ", units: 100, available_units: 100, price: 0, value: 0, available_value: 0 },
          ],
        },
      ],
      unpriced: ["binance_perpetual:XYZ"],
      as_of: AS_OF,
    });
  });

  test("a configured connector the server has no state for is an error, not a smaller equity", async () => {
    const error = await brokerError(adapter({ connectors: ["binance", "okx"] }).portfolioState());
    expect(error).toMatchObject({ kind: "not_found", endpoint: "POST /portfolio/state", retryable: false });
    expect(error.message).toBe("POST /portfolio/state: not_found (HTTP 200): the server has no portfolio state for connector(s) okx of account 'desk_main'");
  });

  test("an account the server does not know is an error", async () => {
    const error = await brokerError(adapter({ account_name: "ghost" }).portfolioState());
    expect(error.message).toBe("POST /portfolio/state: not_found (HTTP 200): the server has no portfolio state for account 'ghost' (it answered for: none)");
  });
});

describe("active orders", () => {
  test("follows the cursor across three pages; the fifth order is only on the third", async () => {
    const orders = await adapter().activeOrders();

    expect(fake.requests.map((r) => [r.method, r.path, r.body, r.authorization])).toEqual([
      ["POST", "/trading/orders/active", { ...ACCOUNT_FILTER, limit: 2 }, BASIC],
      ["POST", "/trading/orders/active", { ...ACCOUNT_FILTER, limit: 2, cursor: "ord-b2" }, BASIC],
      ["POST", "/trading/orders/active", { ...ACCOUNT_FILTER, limit: 2, cursor: "ord-d4" }, BASIC],
    ]);
    expect(orders.map((o) => o.client_order_id)).toEqual(["ord-a1", "ord-b2", "ord-c3", "ord-d4", "ord-e5"]);
    expect(orders[1]).toEqual({
      client_order_id: "ord-b2", exchange_order_id: "ex-ord-b2", connector_name: "binance_perpetual", trading_pair: "ETH-USDT", side: "SELL",
      order_type: "LIMIT", amount: 2, price: 3_500, filled_amount: 0.5, status: "PARTIALLY_FILLED",
      created_at: new Date("2026-03-02T13:00:00Z"), updated_at: new Date("2026-03-02T13:30:00Z"),
    });
    expect(orders[4]).toMatchObject({ client_order_id: "ord-e5", connector_name: "binance", trading_pair: "SOL-USDT", side: "BUY", amount: 10, price: 120 });
  });

  test("a listing past max_pages is a protocol error naming the bound", async () => {
    const error = await brokerError(adapter({ max_pages: 2 }).activeOrders());
    expect(fake.requests).toHaveLength(2);
    // Asking again cannot help: the bound would be hit again.
    expect(error).toMatchObject({ kind: "protocol", status: null, retryable: false });
    expect(error.message).toBe("POST /trading/orders/active: protocol: still has_more after max_pages (2) pages of 2: 4 items read, the rest not listed");
  });

  test("when the cursor's order closes between pages the server starts over; every order is still listed once", async () => {
    fake.onRequest = (r) => {
      // ord-b2 (page 1's cursor) is cancelled on the exchange before page 2 is asked for.
      if (r.body?.cursor === "ord-b2") fake.state.orders = fake.state.orders.filter((o) => o.order_id !== "ord-b2");
    };
    const orders = await adapter().activeOrders();
    // Page 2 starts again at the top: a1 c3 (next "ord-c3"), then d4 e5.
    expect(fake.requests.map((r) => r.body.cursor ?? null)).toEqual([null, "ord-b2", "ord-c3"]);
    expect(orders.map((o) => o.client_order_id).sort()).toEqual(["ord-a1", "ord-b2", "ord-c3", "ord-d4", "ord-e5"]);
  });

  test("has_more without a next_cursor is a protocol error", async () => {
    fake.answerOnce("POST", "/trading/orders/active", 200, JSON.stringify({ data: [], pagination: { limit: 2, has_more: true, next_cursor: null, total_count: 9 } }));
    const error = await brokerError(adapter().activeOrders());
    expect(error.message).toBe("POST /trading/orders/active: protocol (HTTP 200): page 1 says has_more but gives no next_cursor");
  });
});

describe("positions", () => {
  test("perpetual positions of the account, two pages, sizes positive with the side named", async () => {
    const positions = await adapter().positions();

    expect(fake.requests.map((r) => [r.path, r.body])).toEqual([
      ["/trading/positions", { ...ACCOUNT_FILTER, limit: 2 }],
      ["/trading/positions", { ...ACCOUNT_FILTER, limit: 2, cursor: "desk_main:binance_perpetual:ETH-USDT" }],
    ]);
    expect(positions).toEqual([
      { connector_name: "binance_perpetual", trading_pair: "BTC-USDT", side: "LONG", amount: 0.2, entry_price: 58_000, unrealized_pnl: 400, leverage: 5 },
      { connector_name: "binance_perpetual", trading_pair: "ETH-USDT", side: "SHORT", amount: 3, entry_price: 3_600, unrealized_pnl: -150, leverage: 3 },
      { connector_name: "binance_perpetual", trading_pair: "SOL-USDT", side: "SHORT", amount: 10, entry_price: 130, unrealized_pnl: 25, leverage: 2 },
    ]);
  });

  test("a side that contradicts the sign of the amount is not guessed at", async () => {
    fake.state.positions[0].amount = -0.2;
    const error = await brokerError(adapter().positions());
    expect(error.message).toBe("POST /trading/positions: protocol (HTTP 200): position BTC-USDT on binance_perpetual is LONG with amount -0.2: the side contradicts the sign");
  });
});

describe("trades", () => {
  test("one connector at a time, newest first, the window in epoch milliseconds", async () => {
    const since = new Date("2026-03-02T00:00:00Z");
    const until = new Date("2026-03-02T23:59:59Z");
    const listing = await adapter().trades({ since, until });

    // 2026-03-02T00:00:00Z is 1772409600 s after the epoch (`date -u -d … +%s`); 23:59:59 is 1772495999 s.
    const window = { start_time: 1_772_409_600_000, end_time: 1_772_495_999_000 };
    expect(fake.requests.map((r) => [r.path, r.body])).toEqual([
      ["/trading/trades", { account_names: ["desk_main"], connector_names: ["binance"], ...window, limit: 2 }],
      ["/trading/trades", { account_names: ["desk_main"], connector_names: ["binance_perpetual"], ...window, limit: 2 }],
    ]);
    expect(listing).toEqual({
      trades: [
        { trade_id: "t-3", client_order_id: "ord-old2", connector_name: "binance", trading_pair: "BTC-USDT", side: "SELL", amount: 0.1, price: 61_000, fee_paid: 6.1, fee_currency: "USDT", executed_at: new Date("2026-03-02T15:00:00Z") },
        { trade_id: "t-2", client_order_id: "ord-b2", connector_name: "binance_perpetual", trading_pair: "ETH-USDT", side: "SELL", amount: 0.5, price: 3_500, fee_paid: 0.875, fee_currency: "USDT", executed_at: new Date("2026-03-02T14:05:00Z") },
        { trade_id: "t-1", client_order_id: "ord-old1", connector_name: "binance", trading_pair: "BTC-USDT", side: "BUY", amount: 0.5, price: 59_000, fee_paid: 29.5, fee_currency: "USDT", executed_at: new Date("2026-03-02T14:00:00Z") },
      ],
      truncated_connectors: [],
    });
  });

  test("without a window: binance's three trades take two pages; nothing is cut", async () => {
    const listing = await adapter().trades();
    expect(fake.requests.map((r) => r.body)).toEqual([
      { account_names: ["desk_main"], connector_names: ["binance"], limit: 2 },
      // t-3 (15:00) and t-1 (14:00) on page 1, newest first; the cursor is "{timestamp}:{trade_id}".
      { account_names: ["desk_main"], connector_names: ["binance"], limit: 2, cursor: "2026-03-02T14:00:00+00:00:t-1" },
      { account_names: ["desk_main"], connector_names: ["binance_perpetual"], limit: 2 },
    ]);
    expect(listing.trades.map((t) => t.trade_id)).toEqual(["t-3", "t-2", "t-1", "t-4"]);
    expect(listing.truncated_connectors).toEqual([]);
  });

  test("the server reads only 2 × limit trades per request: a connector that reaches it is named as truncated", async () => {
    fake.state.trades.push(
      { ...FIXTURE.trades[3], trade_id: "t-5", timestamp: "2026-02-28T09:00:00+00:00" },
      { ...FIXTURE.trades[3], trade_id: "t-6", timestamp: "2026-02-27T09:00:00+00:00" },
    );
    const listing = await adapter().trades();
    // binance has t-3, t-1, t-4, t-5, t-6: the server keeps the newest four, so t-6 never comes.
    expect(listing.trades.map((t) => t.trade_id)).toEqual(["t-3", "t-2", "t-1", "t-4", "t-5"]);
    expect(listing.truncated_connectors).toEqual(["binance"]);
  });
});

describe("closing orders", () => {
  test("a LONG is closed by a MARKET SELL with position_action CLOSE; the answer is an acknowledgement, not a fill", async () => {
    const broker = adapter();
    const ack = await broker.placeClosingOrder({ connector_name: "binance_perpetual", trading_pair: "BTC-USDT", position_side: "LONG", amount: 0.2 });

    expect(fake.requests).toEqual([
      {
        method: "POST", path: "/trading/orders", authorization: BASIC, username: USERNAME,
        body: { account_name: "desk_main", connector_name: "binance_perpetual", trading_pair: "BTC-USDT", trade_type: "SELL", amount: 0.2, order_type: "MARKET", position_action: "CLOSE" },
      },
    ]);
    expect(ack).toEqual({
      outcome: "acknowledged", client_order_id: "hbot-sell-BTC-USDT-1", connector_name: "binance_perpetual", trading_pair: "BTC-USDT",
      side: "SELL", order_type: "MARKET", amount: 0.2, broker_status: "submitted",
    });
    // Nothing is filled: the position is as it was, and the order is working unfilled.
    expect((await broker.positions())[0]).toMatchObject({ trading_pair: "BTC-USDT", side: "LONG", amount: 0.2 });
    const working = (await broker.activeOrders()).find((o) => o.client_order_id === "hbot-sell-BTC-USDT-1");
    expect(working).toMatchObject({ side: "SELL", order_type: "MARKET", amount: 0.2, price: null, filled_amount: 0, status: "SUBMITTED" });
  });

  test("a SHORT is closed by a BUY", async () => {
    const ack = await adapter().placeClosingOrder({ connector_name: "binance_perpetual", trading_pair: "ETH-USDT", position_side: "SHORT", amount: 3 });
    expect(fake.requests[0].body).toMatchObject({ trade_type: "BUY", amount: 3, order_type: "MARKET", position_action: "CLOSE" });
    expect(ack).toMatchObject({ client_order_id: "hbot-buy-ETH-USDT-1", side: "BUY", amount: 3 });
  });

  test("a connector outside the config, or an amount that is not positive, is refused before anything is sent", async () => {
    const outside = await brokerError(adapter().placeClosingOrder({ connector_name: "kraken", trading_pair: "BTC-USD", position_side: "LONG", amount: 1 }));
    expect(outside.message).toBe("POST /trading/orders: bad_request: connector 'kraken' is not in the broker config (binance, binance_perpetual); nothing was sent");
    const zero = await brokerError(adapter().placeClosingOrder({ connector_name: "binance", trading_pair: "BTC-USDT", position_side: "LONG", amount: 0 }));
    expect(zero.message).toBe("POST /trading/orders: bad_request: amount must be a number greater than 0 (got 0); nothing was sent");
    expect(fake.requests).toEqual([]);
  });
});

describe("cancelling", () => {
  test("a cancel is a request the broker acknowledges; the order leaves the active list", async () => {
    const broker = adapter();
    const ack = await broker.cancelOrder({ connector_name: "binance", client_order_id: "ord-a1" });
    expect(fake.requests[0]).toEqual({ method: "POST", path: "/trading/desk_main/binance/orders/ord-a1/cancel", body: undefined, authorization: BASIC, username: USERNAME });
    expect(ack).toEqual({ outcome: "cancel_requested", client_order_id: "ord-a1", connector_name: "binance", message: "Order cancellation initiated for ord-a1" });
    expect((await broker.activeOrders()).map((o) => o.client_order_id)).toEqual(["ord-b2", "ord-c3", "ord-d4", "ord-e5"]);
  });

  test("cancel-all is partial when one cancel fails: which were requested, which failed and why", async () => {
    fake.faults.cancelFailures["ord-c3"] = "exchange rejected the cancel (order is being matched)";
    const outcome = await cancelAllOrders(adapter());

    expect(outcome.requested.map((a) => [a.connector_name, a.client_order_id])).toEqual([
      ["binance", "ord-a1"], ["binance_perpetual", "ord-b2"], ["binance_perpetual", "ord-d4"], ["binance", "ord-e5"],
    ]);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0].order.client_order_id).toBe("ord-c3");
    expect(outcome.failed[0].error).toMatchObject({ kind: "server", status: 500, retryable: true });
    expect(outcome.failed[0].error.message).toBe(
      "POST /trading/desk_main/binance/orders/ord-c3/cancel: server (HTTP 500): Failed to initiate order cancellation: exchange rejected the cancel (order is being matched)",
    );
    // Three listing pages, then one cancel per order.
    expect(fake.requests.filter((r) => r.path.endsWith("/cancel"))).toHaveLength(5);
    // What is left on the account: the order that failed (kraken's and other_desk's were never Maestro's to cancel).
    expect(fake.state.orders.map((o) => o.order_id).sort()).toEqual(["ord-c3", "ord-k9", "ord-x7"]);
  });

  test("a listing that fails stops the cancel-all before any cancel is sent", async () => {
    fake.answerOnce("POST", "/trading/orders/active", 500, JSON.stringify({ detail: "Error fetching active orders: boom" }));
    const error = await brokerError(cancelAllOrders(adapter()));
    expect(error.message).toBe("POST /trading/orders/active: server (HTTP 500): Error fetching active orders: boom");
    expect(fake.requests.filter((r) => r.path.endsWith("/cancel"))).toEqual([]);
  });
});

describe("errors name the endpoint and the server's detail", () => {
  test("401: wrong password → unauthorized, not retryable; the password never appears", async () => {
    const error = await brokerError(adapter({}, { username: USERNAME, password: "wrong" }).portfolioState());
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, endpoint: "POST /portfolio/state", retryable: false });
    expect(error.message).toBe("POST /portfolio/state: unauthorized (HTTP 401): Incorrect username or password");
    expect(fake.requests[0]).toMatchObject({ username: USERNAME, authorization: `Basic ${Buffer.from(`${USERNAME}:wrong`).toString("base64")}` });
  });

  test("404: an order the broker does not have", async () => {
    const error = await brokerError(adapter().cancelOrder({ connector_name: "binance", client_order_id: "ord-zz" }));
    expect(error).toMatchObject({ kind: "not_found", status: 404 });
    expect(error.message).toBe("POST /trading/desk_main/binance/orders/ord-zz/cancel: not_found (HTTP 404): Order 'ord-zz' not found in active orders");
  });

  test("400: a pair the connector does not trade", async () => {
    const error = await brokerError(adapter().placeClosingOrder({ connector_name: "binance", trading_pair: "DOGE-USDT", position_side: "LONG", amount: 100 }));
    expect(error).toMatchObject({ kind: "bad_request", status: 400, retryable: false });
    expect(error.message).toBe("POST /trading/orders: bad_request (HTTP 400): Trading pair 'DOGE-USDT' not supported on binance. Available pairs: ['BTC-USDT', 'SOL-USDT']");
  });

  test("422: FastAPI's validation list is rendered field by field", async () => {
    fake.answerOnce("POST", "/trading/positions", 422, JSON.stringify({ detail: [{ type: "less_than_equal", loc: ["body", "limit"], msg: "Input should be less than or equal to 1000", input: 5000 }] }));
    const error = await brokerError(adapter().positions());
    expect(error.kind).toBe("bad_request");
    expect(error.message).toBe("POST /trading/positions: bad_request (HTTP 422): body -> limit: Input should be less than or equal to 1000");
  });

  test("503 trading rules not loaded → unavailable and retryable even for an order; the retry goes through", async () => {
    fake.faults.tradingRulesNotLoaded = 1;
    const broker = adapter();
    const request = { connector_name: "binance_perpetual", trading_pair: "BTC-USDT", position_side: "LONG" as const, amount: 0.2 };
    const error = await brokerError(broker.placeClosingOrder(request));
    expect(error).toMatchObject({ kind: "unavailable", status: 503, retryable: true });
    expect(error.message).toBe("POST /trading/orders: unavailable (HTTP 503): Trading rules not yet loaded for binance_perpetual. Please try again in a moment.");
    expect(fake.state.orders.some((o) => o.order_id.startsWith("hbot-"))).toBe(false);
    await expect(broker.placeClosingOrder(request)).resolves.toMatchObject({ outcome: "acknowledged", client_order_id: "hbot-sell-BTC-USDT-1" });
  });

  test("timeout: a read may be retried, an order whose fate is unknown may not", async () => {
    fake.faults.delayMs = 1_000;
    const broker = adapter({ timeout_ms: 100 });
    const started = Date.now();
    const read = await brokerError(broker.portfolioState());
    expect(Date.now() - started).toBeLessThan(900);
    expect(read).toMatchObject({ kind: "timeout", status: null, retryable: true });
    expect(read.message).toBe("POST /portfolio/state: timeout: no answer within 100 ms (timeout_ms)");
    const order = await brokerError(broker.placeClosingOrder({ connector_name: "binance", trading_pair: "BTC-USDT", position_side: "LONG", amount: 0.1 }));
    expect(order).toMatchObject({ kind: "timeout", retryable: false });
    expect(order.message).toBe("POST /trading/orders: timeout: no answer within 100 ms (timeout_ms)");
  });

  test("network: nothing listening", async () => {
    const port = await closedPort();
    const error = await brokerError(adapter({ base_url: `http://127.0.0.1:${port}` }).activeOrders());
    expect(error).toMatchObject({ kind: "network", status: null, retryable: true });
    expect(error.message).toBe(`POST /trading/orders/active: network: could not reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  test("protocol: a body of the wrong shape names the field", async () => {
    fake.answerOnce("POST", "/trading/orders/active", 200, JSON.stringify({ data: [{ order_id: "ord-q", connector_name: "binance", trading_pair: "BTC-USDT", trade_type: "HOLD" }], pagination: { has_more: false } }));
    const error = await brokerError(adapter().activeOrders());
    expect(error.kind).toBe("protocol");
    expect(error.message).toContain("POST /trading/orders/active: protocol (HTTP 200): unexpected body: data.0.trade_type: must be \"BUY\" or \"SELL\" (got \"HOLD\")");
  });

  test("protocol: a body that is not JSON; a proxy's HTML error page keeps its status", async () => {
    fake.answerOnce("POST", "/portfolio/state", 200, "<html>maintenance</html>");
    expect((await brokerError(adapter().portfolioState())).message).toBe("POST /portfolio/state: protocol (HTTP 200): the body is not JSON: <html>maintenance</html>");
    fake.answerOnce("POST", "/portfolio/state", 502, "<html>Bad Gateway</html>");
    const proxy = await brokerError(adapter().portfolioState());
    expect(proxy).toMatchObject({ kind: "server", status: 502 });
    expect(proxy.message).toBe("POST /portfolio/state: server (HTTP 502): <html>Bad Gateway</html>");
  });
});

describe("status", () => {
  test("reachable and ready: GET / without credentials, then the account's connectors with them", async () => {
    const status = await adapter().status();
    expect(fake.requests.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ["GET", "/", undefined],
      ["GET", "/accounts/desk_main/credentials", BASIC],
    ]);
    expect(status).toEqual({ reachable: true, version: "1.0.1", connectors_configured: ["binance", "binance_perpetual"], connectors_missing: [], ready: true, problem: null });
  });

  test("a configured connector without credentials on the account is not ready", async () => {
    const status = await adapter({ connectors: ["binance", "okx"] }).status();
    expect(status).toEqual({ reachable: true, version: "1.0.1", connectors_configured: ["binance"], connectors_missing: ["okx"], ready: false, problem: null });
  });

  test("refused credentials: reachable, not ready, the problem named", async () => {
    const status = await adapter({}, { username: USERNAME, password: "wrong" }).status();
    expect(status).toEqual({
      reachable: true, version: "1.0.1", connectors_configured: null, connectors_missing: null, ready: false,
      problem: { kind: "unauthorized", message: "GET /accounts/desk_main/credentials: unauthorized (HTTP 401): Incorrect username or password" },
    });
  });

  test("an unknown account: the server's 404", async () => {
    const status = await adapter({ account_name: "ghost" }).status();
    expect(status.problem).toEqual({ kind: "not_found", message: "GET /accounts/ghost/credentials: not_found (HTTP 404): Directory 'credentials/ghost/connectors' not found" });
  });

  test("nothing listening: unreachable, never a throw", async () => {
    const port = await closedPort();
    const status = await adapter({ base_url: `http://127.0.0.1:${port}` }).status();
    expect(status).toEqual({
      reachable: false, version: null, connectors_configured: null, connectors_missing: null, ready: false,
      problem: { kind: "network", message: `GET /: network: could not reach http://127.0.0.1:${port}: ECONNREFUSED` },
    });
  });
});

describe("credentials and options", () => {
  test("are checked without echoing them", () => {
    const cfg = config();
    expect(() => new HummingbotAdapter(cfg, { username: "", password: PASSWORD })).toThrow("broker credentials: username must not be empty");
    expect(() => new HummingbotAdapter(cfg, { username: "a:b", password: PASSWORD })).toThrow("broker credentials: username must not contain ':' (HTTP Basic)");
    expect(() => new HummingbotAdapter(cfg, { username: USERNAME, password: "" })).toThrow("broker credentials: password must not be empty");
    expect(() => new HummingbotAdapter(cfg, { username: USERNAME, password: PASSWORD }, { pageSize: 1001 })).toThrow("pageSize: must be a whole number from 1 to 1000 (hummingbot-api's limit), got 1001");
  });
});
