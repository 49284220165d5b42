import { STATUS_CODES } from "node:http";
import type * as UWS from "uWebSockets.js";
import { factsOf, internalErrorReply, pumpStream } from "./http.shared.ts";
import {
  BODY_TOO_LARGE,
  type HttpHandler,
  type HttpReply,
  type SendStatus,
  type SocketHandlers,
  type Transport,
  type TransportOptions,
  type TransportRequest,
  type WsRouteSpec,
} from "./transport.types.ts";

/**
 * The transport on uWebSockets.js, preferred where a native build loads (Node 20 here). uWS rules
 * that shape this file: an `HttpRequest` is valid only during the synchronous handler (everything
 * is read first); an async response must register `onAborted` before the handler returns and must
 * not touch `res` after the client went away; writes from outside a handler must be corked; a
 * WebSocket is invalid from its close event on.
 */

export type UwsModule = typeof UWS;

/**
 * True only for the native module. The trufflesuite package silently swaps in a pure-JS shim (built
 * on an old `ws`) when no binary matches this Node ABI or when UWS_USE_FALLBACK is set. The shim
 * lacks most of the native exports, among them `getParts` and `SSLApp`; their presence is the tell.
 */
export const isNativeUws = (mod: unknown): mod is UwsModule => {
  if (typeof mod !== "object" || mod === null) return false;
  const m = mod as Record<string, unknown>;
  return typeof m.App === "function" && typeof m.SSLApp === "function" && typeof m.getParts === "function";
};

const decoder = new TextDecoder();

/** Writes a reply; a streamed one goes on after this returns, every later write corked. */
const writeReply = (res: UWS.HttpResponse, reply: HttpReply, gone: AbortSignal): void => {
  res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? ""}`.trim());
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
  if (!reply.stream) return void res.end(reply.body);
  if (reply.body.length > 0) res.write(reply.body);
  void pumpStream(
    reply.stream,
    gone,
    (chunk) => res.cork(() => res.write(chunk)),
    () => res.cork(() => res.end()),
  );
};

/** Reads the request while it is valid; the body, if asked for, arrives through `onData`. */
const readRequest = (res: UWS.HttpResponse, req: UWS.HttpRequest, o: TransportOptions): TransportRequest => {
  const headers = new Map<string, string>();
  req.forEach((k, v) => {
    headers.set(k, v);
  });
  const header = (name: string) => headers.get(name) ?? "";
  return {
    method: req.getMethod().toUpperCase(),
    facts: factsOf(header, req.getUrl(), decoder.decode(res.getRemoteAddressAsText()), o, req.getQuery() ?? ""),
    header,
    readBody: (maxBytes) =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        res.onData((chunk, isLast) => {
          if (done) return;
          size += chunk.byteLength;
          if (size > maxBytes) {
            done = true;
            return resolve(BODY_TOO_LARGE);
          }
          // uWS reuses the chunk's memory after this callback: copy it.
          chunks.push(Buffer.from(chunk.slice(0)));
          if (!isLast) return;
          done = true;
          resolve(Buffer.concat(chunks));
        });
      }),
  };
};

interface Peer {
  data: unknown;
  handlers?: SocketHandlers;
  /** Set at uWS's close event (or when we asked to end): the WebSocket object must not be used. */
  gone: boolean;
}

const SEND_STATUS: Record<number, SendStatus> = { 0: "backpressure", 1: "ok", 2: "dropped" };

/**
 * A transport on the given native uWS module (checked by the caller with `isNativeUws`); an
 * SSLApp with `o.tls` (uWS reads the PEM files itself, at creation).
 */
export function createUwsTransport(uWS: UwsModule, o: TransportOptions = {}): Transport {
  const app = o.tls ? uWS.SSLApp({ cert_file_name: o.tls.certFile, key_file_name: o.tls.keyFile }) : uWS.App();
  let listenSocket: UWS.us_listen_socket | undefined;

  return {
    name: "uws",
    secure: o.tls !== undefined,
    http(handler: HttpHandler) {
      app.any("/*", (res, req) => {
        const request = readRequest(res, req, o);
        const gone = new AbortController();
        res.onAborted(() => gone.abort());
        let reply: HttpReply | Promise<HttpReply>;
        try {
          reply = handler(request);
        } catch {
          reply = internalErrorReply();
        }
        if (!(reply instanceof Promise)) return writeReply(res, reply, gone.signal);
        void reply.catch(internalErrorReply).then((r) => {
          if (!gone.signal.aborted) res.cork(() => writeReply(res, r, gone.signal));
        });
      });
    },
    ws<D>(spec: WsRouteSpec<D>) {
      app.ws<Peer>(spec.path, {
        maxPayloadLength: spec.maxPayloadBytes,
        // uWS's own cap stays far above the edge's: the edge drops slow clients itself, visibly, with a close code.
        maxBackpressure: 4 * spec.maxPayloadBytes,
        closeOnBackpressureLimit: 0,
        idleTimeout: spec.idleTimeoutSec,
        sendPingsAutomatically: true,
        compression: uWS.DISABLED,
        upgrade: (res, req, context) => {
          const key = req.getHeader("sec-websocket-key");
          const protocol = req.getHeader("sec-websocket-protocol");
          const extensions = req.getHeader("sec-websocket-extensions");
          const decision = spec.upgrade(readRequest(res, req, o));
          if ("refuse" in decision) return writeReply(res, decision.refuse, new AbortController().signal); // never streamed
          res.upgrade<Peer>({ data: decision.accept, gone: false }, key, protocol, extensions, context);
        },
        open: (ws) => {
          const peer = ws.getUserData();
          peer.handlers = spec.open(
            {
              send(text) {
                if (peer.gone) return "dropped";
                let status = 2;
                ws.cork(() => (status = ws.send(text, false)));
                return SEND_STATUS[status] ?? "dropped";
              },
              bufferedAmount: () => (peer.gone ? 0 : ws.getBufferedAmount()),
              end(code, reason) {
                if (peer.gone) return;
                peer.gone = true;
                ws.end(code, reason);
              },
            },
            peer.data as D,
          );
        },
        // Synchronous hand-off: uWS neuters `message` when this callback returns.
        message: (ws, message, isBinary) => ws.getUserData().handlers?.message(message, isBinary),
        close: (ws) => {
          const peer = ws.getUserData();
          peer.gone = true;
          peer.handlers?.close();
        },
      });
    },
    async listen(host, port) {
      const socket = await new Promise<UWS.us_listen_socket | false>((resolve) => app.listen(host, port, resolve));
      if (!socket) return undefined;
      listenSocket = socket;
      return uWS.us_socket_local_port(socket);
    },
    async close() {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      // Also drops idle keep-alive HTTP sockets, which would hold the port and the event loop.
      // `close` exists at runtime in this uWS build but is missing from its types.
      (app as UWS.TemplatedApp & { close?: () => void }).close?.();
    },
  };
}
