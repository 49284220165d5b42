import { isLocalClient, originAllowed, type ClientFacts } from "./auth.ts";
import type { LoginGuard } from "./login.guard.ts";
import { presentedBy, type Presented, type Principals } from "./principals.ts";
import { jsonReply, withSecurityHeaders, type HttpReply } from "./http.util.ts";
import type { EdgeMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { Transport, TransportSocket } from "./transport/index.ts";
import type { Principal } from "../../schemas/index.ts";
import { CLOSE_UNAUTHORIZED, WsConnection } from "./ws.connection.ts";
import type { BusDeps } from "./ws.methods.ts";
import type { LiveHub } from "./live.hub.ts";

/**
 * The `/ws` route: upgrade checks (origin, locality), the slow-consumer policy, and the glue
 * between a transport's sockets and `WsConnection`. A socket is unusable once closed, so every use
 * goes through the `gone` flag.
 */

/** Close code for a client that does not read its frames fast enough. */
export const CLOSE_SLOW_CONSUMER = 4008;
/** The transport closes the socket on frames above this; MAX_FRAME_BYTES is enforced below it, with an error reply. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Seconds of silence before a client is pinged and then dropped. */
const IDLE_TIMEOUT_SEC = 120;

/** Sockets that have not completed `connect` yet, at most (each also has `CONNECT_DEADLINE_MS`). */
export const MAX_UNAUTHENTICATED = 256;
/** A socket that has not completed `connect` by then is closed. */
export const CONNECT_DEADLINE_MS = 10_000;
/** Close code for a client that never completed the handshake in time. */
export const CLOSE_HANDSHAKE_TIMEOUT = 4002;

interface Peer {
  socket?: TransportSocket;
  facts: ClientFacts;
  presented: Presented;
  conn?: WsConnection;
  gone: boolean;
  /** Still counted among the unauthenticated sockets. */
  pending: boolean;
}

export interface WsRouteDeps {
  bus: BusDeps;
  hub: LiveHub;
  metrics: EdgeMetrics;
  version: string;
  uiBuild: () => Promise<string | null>;
  principals: Principals;
  guard: LoginGuard;
  now: () => number;
  allowedOrigins: readonly string[];
  newLimiter: () => RateLimiter;
  /** A client whose unsent output exceeds this is dropped. */
  maxBufferedBytes: number;
  isClosing: () => boolean;
  log: (line: string) => void;
}

export interface WsRoute {
  /** Closes every connection (1001) and stops their consumers. */
  closeAll(): Promise<void>;
  /** Closes the connections of the principals a credential event ended (a revoked key, a logout). */
  endWhere(gone: (p: Principal) => boolean): void;
}

export const attachWebSocket = (transport: Transport, deps: WsRouteDeps): WsRoute => {
  const { metrics, log } = deps;
  const peers = new Set<Peer>();
  let unauthenticated = 0;
  const settle = (peer: Peer) => {
    if (!peer.pending) return;
    peer.pending = false;
    unauthenticated--;
  };
  const refuse = (status: number, code: string, message: string): HttpReply => jsonReply(status, { error: { code, message } });

  transport.ws<Peer>({
    path: "/ws",
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    idleTimeoutSec: IDLE_TIMEOUT_SEC,
    upgrade: (req) => {
      const f = req.facts;
      const origin = req.header("origin");
      let refusal: HttpReply | undefined;
      if (deps.isClosing()) refusal = refuse(503, "unavailable", "shutting down");
      else if (!originAllowed(origin, f.host, deps.allowedOrigins)) {
        refusal = refuse(403, "forbidden_origin", `origin ${origin} may not open this WebSocket`);
      } else if (unauthenticated >= MAX_UNAUTHENTICATED && !isLocalClient(f)) {
        // Sockets that never log in would otherwise pile up without bound.
        refusal = refuse(503, "unavailable", "too many connections waiting to log in; retry shortly");
      }
      if (refusal) {
        metrics.httpRequest("ws", refusal.status);
        return { refuse: withSecurityHeaders(refusal, f.host) };
      }
      metrics.httpRequest("ws", 101);
      unauthenticated++;
      const facts = { remoteAddress: f.remoteAddress, host: f.host, forwarded: f.forwarded, clientAddress: f.clientAddress };
      return { accept: { facts, presented: presentedBy((n) => req.header(n)), gone: false, pending: true } };
    },
    open: (socket, peer) => {
      peer.socket = socket;
      const end = (code: number, reason: string) => {
        if (peer.gone) return;
        peer.gone = true;
        socket.end(code, reason);
      };
      const send = (text: string) => {
        if (peer.gone) return;
        // A client that stopped reading would make us buffer without bound: drop it instead.
        if (socket.bufferedAmount() <= deps.maxBufferedBytes && socket.send(text) !== "dropped") return;
        metrics.wsDroppedSlow++;
        log("ws: dropped a client that stopped reading (slow consumer)");
        end(CLOSE_SLOW_CONSUMER, "slow consumer");
      };
      peer.conn = new WsConnection({
        bus: deps.bus,
        hub: deps.hub,
        version: deps.version,
        uiBuild: deps.uiBuild,
        facts: peer.facts,
        presented: peer.presented,
        principals: deps.principals,
        guard: deps.guard,
        now: deps.now,
        onConnected: () => settle(peer),
        limiter: deps.newLimiter(),
        metrics,
        send,
        close: end,
        log,
      });
      peers.add(peer);
      const deadline = setTimeout(() => {
        if (peer.pending) end(CLOSE_HANDSHAKE_TIMEOUT, "connect took too long");
      }, CONNECT_DEADLINE_MS);
      deadline.unref();
      metrics.wsOpen++;
      metrics.wsOpenedTotal++;
      return {
        message: (data, isBinary) => peer.conn?.onFrame(data, isBinary),
        close: () => {
          peer.gone = true;
          clearTimeout(deadline);
          settle(peer);
          if (peers.delete(peer)) metrics.wsOpen--;
          void peer.conn?.dispose().catch((e) => log(`ws cleanup failed: ${String(e)}`));
        },
      };
    },
  });

  return {
    async closeAll() {
      const all = [...peers];
      for (const p of all) {
        if (p.gone || !p.socket) continue;
        p.gone = true;
        p.socket.end(1001, "server shutting down");
      }
      await Promise.allSettled(all.map((p) => p.conn?.dispose()));
    },
    endWhere(gone) {
      for (const p of peers) {
        const principal = p.conn?.principal;
        if (p.gone || !principal || !gone(principal)) continue;
        p.gone = true;
        p.socket?.end(CLOSE_UNAUTHORIZED, "logged out");
      }
    },
  };
};
