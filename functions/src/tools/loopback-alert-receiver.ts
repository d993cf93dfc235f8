/**
 * A loopback receiver of alert webhooks for the emulator tests: records each request (path,
 * headers, raw body) and answers 200, or 500 for the next `failNext` requests.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedAlert {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface AlertReceiver {
  url: string;
  received: ReceivedAlert[];
  failNext: number;
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const receiver: AlertReceiver = { url: "", received: [], failNext: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      receiver.received.push({ path: req.url ?? "", headers: req.headers, body });
      if (receiver.failNext > 0) {
        receiver.failNext -= 1;
        res.writeHead(500).end("receiver down");
      } else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
