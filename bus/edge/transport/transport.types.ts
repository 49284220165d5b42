/**
 * The port between the edge and an HTTP + WebSocket server library. The edge (routes, origin
 * checks, security headers, the slow-consumer policy) is written against these types only; each
 * implementation hides its library's rules (uWS: corking, `onAborted`, request objects valid only
 * during the handler; `ws`: upgrade hand-off, heartbeats).
 */
import type { TrustedProxies } from "./trusted.proxies.ts";

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
  /**
   * A body that goes on as it is made (server-sent events): after `body`, every chunk this yields,
   * then the end. The signal aborts when the client goes away, so the producer can stop its work.
   */
  stream?: (signal: AbortSignal) => AsyncIterable<string>;
}

/** Who asks, read while the request is valid. `url` is the path without the query string. */
export interface RequestFacts {
  url: string;
  /** The query string without its `?` ("" when none): only the few GET routes that take parameters read it. */
  query: string;
  /** The host the client asked for: `Host`, or a trusted proxy's forwarded host. */
  host: string;
  authorization: string;
  /** A proxy header (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`) is present, trusted or not: never local. */
  forwarded: boolean;
  /** The TCP peer, as the transport reports it. */
  remoteAddress: string;
  /**
   * The client's address, canonical (`::ffff:a.b.c.d` → `a.b.c.d`, IPv6 compressed): the peer, or
   * the right-most untrusted hop when the peer is a trusted proxy. Key per-client limits on this.
   */
  clientAddress: string;
  /** The client's connection is TLS: to us, or to a trusted proxy that says so (the cookie's `Secure`). */
  secure: boolean;
}

/** PEM files the transport serves HTTPS/WSS with (read when it is created). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TransportOptions {
  /** Serve HTTPS and WSS instead of plain HTTP and WS. */
  tls?: TlsFiles;
  /** Peers whose proxy headers are believed (default: none). */
  trustedProxies?: TrustedProxies;
}

export type TransportName = "uws" | "node";

/** What `readBody` answers when the body is larger than its cap; the transport stops reading it. */
export const BODY_TOO_LARGE = Symbol("body too large");

export interface TransportRequest {
  /** Upper case: `GET`, `POST`, … */
  method: string;
  facts: RequestFacts;
  /** A header by lower-case name; "" when absent. */
  header(name: string): string;
  /**
   * The whole body, or `BODY_TOO_LARGE` as soon as more than `maxBytes` arrived. Call it at most
   * once, synchronously in the handler (uWS accepts body callbacks only then).
   */
  readBody(maxBytes: number): Promise<Buffer | typeof BODY_TOO_LARGE>;
}

/**
 * Answers one HTTP request. The reply is written as given (the caller adds its headers); an async
 * reply for a client that went away meanwhile is dropped. A rejected promise answers 500.
 */
export type HttpHandler = (req: TransportRequest) => HttpReply | Promise<HttpReply>;

/** `dropped`: the frame was not queued (the socket is closed or the library's own cap was hit). */
export type SendStatus = "ok" | "backpressure" | "dropped";

export interface TransportSocket {
  send(text: string): SendStatus;
  /** Bytes queued for this client and not yet written to the kernel. */
  bufferedAmount(): number;
  /** Starts the close handshake; the socket's `close` callback follows. */
  end(code: number, reason: string): void;
}

export interface SocketHandlers {
  /** Synchronous: `data` may be reused by the transport once this returns. */
  message(data: ArrayBuffer, isBinary: boolean): void;
  /** Once, however the connection ended. The socket must not be used afterwards. */
  close(): void;
}

export type UpgradeDecision<D> = { accept: D } | { refuse: HttpReply };

export interface WsRouteSpec<D> {
  path: string;
  /** Frames above this close the connection (the edge enforces its own, smaller cap with a reply). */
  maxPayloadBytes: number;
  /** A connection silent this long (no frames, no pong) is closed; pings are sent before that. */
  idleTimeoutSec: number;
  /** Decides synchronously from the request; `accept`'s data is handed to `open`. */
  upgrade(req: TransportRequest): UpgradeDecision<D>;
  open(socket: TransportSocket, data: D): SocketHandlers;
}

export interface Transport {
  readonly name: TransportName;
  /** Serves TLS (https/wss). */
  readonly secure: boolean;
  /** Every HTTP request that is not a WebSocket upgrade on the WS route's path. */
  http(handler: HttpHandler): void;
  /** One WebSocket route; register it before `listen`. */
  ws<D>(spec: WsRouteSpec<D>): void;
  /** Resolves with the bound port, or `undefined` when the address cannot be bound. */
  listen(host: string, port: number): Promise<number | undefined>;
  /** Stops listening and drops every connection, idle keep-alive sockets included. */
  close(): Promise<void>;
}
