import { readFileSync } from "node:fs";
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { factsOf, internalErrorReply, pumpStream } from "./http.shared.ts";
import {
  BODY_TOO_LARGE,
  type HttpHandler,
  type HttpReply,
  type Transport,
  type TransportOptions,
  type TransportRequest,
  type WsRouteSpec,
} from "./transport.types.ts";

/**
 * The transport on `node:http` + `ws` (noServer mode), for any Node where no native uWS build
 * loads. ws's optional helpers are never compiled (package.json's `allowScripts` keeps their
 * install scripts off): ws uses bufferutil's prebuilt N-API binary where one is installed (it
 * comes with the uWS package), and JavaScript / `buffer.isUtf8` otherwise.
 */

/** How long `close()` lets WebSockets answer their close frame before cutting them. */
const CLOSE_GRACE_MS = 1_000;

const pathOf = (url: string | undefined): string => {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q >= 0 ? u.slice(0, q) : u;
};

const queryOf = (url: string | undefined): string => {
  const q = url?.indexOf("?") ?? -1;
  return q >= 0 && url ? url.slice(q + 1) : "";
};

const headerOf =
  (req: IncomingMessage) =>
  (name: string): string => {
    const v = req.headers[name];
    return v === undefined ? "" : Array.isArray(v) ? v.join(", ") : v;
  };

/** `onTooLarge` runs when `readBody` gave up on a body over its cap. */
const readRequest = (req: IncomingMessage, o: TransportOptions, onTooLarge: () => void): TransportRequest => {
  const header = headerOf(req);
  return {
    method: (req.method ?? "GET").toUpperCase(),
    facts: factsOf(header, pathOf(req.url), req.socket.remoteAddress ?? "", o, queryOf(req.url)),
    header,
    readBody: (maxBytes) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size <= maxBytes) return void chunks.push(chunk);
          // Stop reading; the reply closes the connection so the rest is never parsed as a request.
          req.pause();
          req.removeAllListeners("data");
          onTooLarge();
          resolve(BODY_TOO_LARGE);
        });
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
      }),
  };
};

/** A reply written on a raw socket: an upgrade request that is refused or is not for the WS route. */
const writeRaw = (socket: Duplex, reply: HttpReply): void => {
  const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
  const head = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ""}`];
  for (const [k, v] of Object.entries(reply.headers ?? {})) head.push(`${k}: ${v}`);
  head.push(`Content-Length: ${body.byteLength}`, "Connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(head.join("\r\n")), body]));
};

const answer = async (handler: HttpHandler, request: TransportRequest): Promise<HttpReply> => {
  try {
    return await handler(request);
  } catch {
    return internalErrorReply();
  }
};

/** A transport on node:http + ws, or node:https + ws with `o.tls` (the PEM files are read now). */
export function createNodeTransport(o: TransportOptions = {}): Transport {
  const server = o.tls ? createTlsServer({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }) : createServer();
  // A client that fails the TLS handshake (it does not trust our certificate) is its own business.
  server.on("tlsClientError", (_e, socket) => socket.destroy());
  let handler: HttpHandler = () => ({ status: 404, body: "" });
  let route: WsRouteSpec<unknown> | undefined;
  let wss: WebSocketServer | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const alive = new WeakMap<WebSocket, boolean>();

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    let closeAfter = false;
    const request = readRequest(req, o, () => (closeAfter = true));
    void answer(handler, request).then((reply) => {
      // The client went away meanwhile: nothing to write to.
      if (res.destroyed || res.writableEnded) return;
      if (closeAfter) res.setHeader("Connection", "close");
      res.writeHead(reply.status, reply.headers);
      if (!reply.stream) return void res.end(reply.body);
      const gone = new AbortController();
      res.once("close", () => gone.abort());
      if (reply.body.length > 0) res.write(reply.body);
      void pumpStream(
        reply.stream,
        gone.signal,
        (chunk) => res.write(chunk),
        () => res.end(),
      );
    });
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws owns the socket, a reset must not become an uncaught 'error'.
    socket.on("error", () => socket.destroy());
    const request = readRequest(req, o, () => {});
    if (!route || !wss || request.facts.url !== route.path) {
      // What uWS does too: an upgrade request elsewhere is an ordinary request (no body on this path).
      const plain: TransportRequest = { ...request, readBody: () => Promise.resolve(BODY_TOO_LARGE) };
      return void answer(handler, plain).then((reply) => writeRaw(socket, reply));
    }
    const spec = route;
    const decision = spec.upgrade(request);
    if ("refuse" in decision) return writeRaw(socket, decision.refuse);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.binaryType = "arraybuffer";
      alive.set(ws, true);
      const handlers = spec.open(
        {
          send(text) {
            if (ws.readyState !== WebSocket.OPEN) return "dropped";
            ws.send(text);
            return ws.bufferedAmount > 0 ? "backpressure" : "ok";
          },
          bufferedAmount: () => ws.bufferedAmount,
          end: (code, reason) => ws.close(code, reason),
        },
        decision.accept,
      );
      ws.on("message", (data, isBinary) => {
        alive.set(ws, true);
        // binaryType "arraybuffer" makes every message one ArrayBuffer.
        handlers.message(data as ArrayBuffer, isBinary);
      });
      ws.on("pong", () => alive.set(ws, true));
      // Protocol errors (an oversize frame, bad UTF-8) close the socket; 'close' follows.
      ws.on("error", () => {});
      ws.on("close", () => handlers.close());
    });
  });

  return {
    name: "node",
    secure: o.tls !== undefined,
    http(h) {
      handler = h;
    },
    ws<D>(spec: WsRouteSpec<D>) {
      route = spec as WsRouteSpec<unknown>;
      const server = new WebSocketServer({ noServer: true, maxPayload: spec.maxPayloadBytes, perMessageDeflate: false });
      wss = server;
      // uWS's idleTimeout + automatic pings, by hand: a peer that answered nothing for a whole
      // interval after a ping is dead (a half-open TCP connection would otherwise live for hours).
      heartbeat = setInterval(
        () => {
          for (const ws of server.clients) {
            if (!alive.get(ws)) {
              ws.terminate();
              continue;
            }
            alive.set(ws, false);
            ws.ping();
          }
        },
        (spec.idleTimeoutSec * 1000) / 2,
      );
      heartbeat.unref();
    },
    listen: (host, port) =>
      new Promise((resolve) => {
        const failed = () => resolve(undefined);
        server.once("error", failed);
        server.listen(port, host, () => {
          server.off("error", failed);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    async close() {
      if (heartbeat) clearInterval(heartbeat);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive sockets would hold the port and the event loop for their timeout.
      server.closeAllConnections();
      const clients = [...(wss?.clients ?? [])];
      if (clients.length > 0) {
        // The edge sent every WebSocket its close frame; give the peers a moment to answer it.
        const allClosed = Promise.all(clients.map((ws) => new Promise((r) => (ws.readyState === 3 ? r(0) : ws.once("close", r)))));
        await Promise.race([allClosed, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
        for (const ws of clients) ws.terminate();
      }
      await stopped;
    },
  };
}
