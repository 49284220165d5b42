import type { TemplatedApp, WebSocket } from "uWebSockets.js";
import { isLocalClient, originAllowed } from "./auth.ts";
import { jsonReply, readFacts, writeReply, type HttpReply } from "./http.util.ts";
import type { EdgeMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { uWS } from "./uws.ts";
import { WsConnection } from "./ws.connection.ts";
import type { BusDeps } from "./ws.methods.ts";

/**
 * The `/ws` route: upgrade checks (origin, locality), and the glue between uWS sockets and
 * `WsConnection`. uWS invalidates a WebSocket at its close event, so every use goes through the
 * `gone` flag.
 */

/** Close code for a client that does not read its frames fast enough. */
export const CLOSE_SLOW_CONSUMER = 4008;
/** uWS closes the socket on frames above this; MAX_FRAME_BYTES is enforced below it, with an error reply. */
const UWS_MAX_PAYLOAD = 16 * 1024 * 1024;

interface Peer {
  ws?: WebSocket<Peer>;
  local: boolean;
  conn?: WsConnection;
  gone: boolean;
}

export interface WsRouteDeps {
  bus: BusDeps;
  metrics: EdgeMetrics;
  version: string;
  token: string | undefined;
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
}

export const attachWebSocket = (app: TemplatedApp, deps: WsRouteDeps): WsRoute => {
  const { metrics, log } = deps;
  const peers = new Set<Peer>();
  const refuse = (status: number, code: string, message: string): HttpReply => jsonReply(status, { error: { code, message } });

  app.ws<Peer>("/ws", {
    maxPayloadLength: UWS_MAX_PAYLOAD,
    // uWS's own cap stays far above ours: we drop slow clients ourselves, visibly, with a close code.
    maxBackpressure: 4 * UWS_MAX_PAYLOAD,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    compression: uWS.DISABLED,
    upgrade: (res, req, context) => {
      const f = readFacts(res, req);
      const origin = req.getHeader("origin");
      const key = req.getHeader("sec-websocket-key");
      const protocol = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      const local = isLocalClient(f);
      let refusal: HttpReply | undefined;
      if (deps.isClosing()) refusal = refuse(503, "unavailable", "shutting down");
      else if (!originAllowed(origin, f.host, deps.allowedOrigins)) {
        refusal = refuse(403, "forbidden_origin", `origin ${origin} may not open this WebSocket`);
      } else if (!local && deps.token === undefined) {
        // A loopback bind reached under a foreign Host name (DNS rebinding) or through a proxy.
        refusal = refuse(403, "unauthorized", "this gateway accepts local clients only; set CAIRN_AUTH_TOKEN");
      }
      if (refusal) {
        metrics.httpRequest("ws", refusal.status);
        return writeReply(res, refusal, f.host);
      }
      metrics.httpRequest("ws", 101);
      res.upgrade<Peer>({ local, gone: false }, key, protocol, extensions, context);
    },
    open: (ws) => {
      const peer = ws.getUserData();
      peer.ws = ws;
      const end = (code: number, reason: string) => {
        if (peer.gone) return;
        peer.gone = true;
        ws.end(code, reason);
      };
      const send = (text: string) => {
        if (peer.gone) return;
        // A client that stopped reading would make us buffer without bound: drop it instead.
        // (send() answers 2 when uWS itself dropped the frame at maxBackpressure.)
        let status = 2;
        if (ws.getBufferedAmount() <= deps.maxBufferedBytes) ws.cork(() => (status = ws.send(text, false)));
        if (status === 2) {
          metrics.wsDroppedSlow++;
          log("ws: dropped a client that stopped reading (slow consumer)");
          end(CLOSE_SLOW_CONSUMER, "slow consumer");
        }
      };
      peer.conn = new WsConnection({
        bus: deps.bus,
        version: deps.version,
        local: peer.local,
        authToken: deps.token,
        limiter: deps.newLimiter(),
        metrics,
        send,
        close: end,
        log,
      });
      peers.add(peer);
      metrics.wsOpen++;
      metrics.wsOpenedTotal++;
    },
    // Synchronous hand-off: uWS neuters `message` when this callback returns.
    message: (ws, message, isBinary) => ws.getUserData().conn?.onFrame(message, isBinary),
    close: (ws) => {
      const peer = ws.getUserData();
      peer.gone = true;
      if (peers.delete(peer)) metrics.wsOpen--;
      void peer.conn?.dispose().catch((e) => log(`ws cleanup failed: ${String(e)}`));
    },
  });

  return {
    async closeAll() {
      const all = [...peers];
      for (const p of all) {
        if (p.gone || !p.ws) continue;
        p.gone = true;
        p.ws.end(1001, "server shutting down");
      }
      await Promise.allSettled(all.map((p) => p.conn?.dispose()));
    },
  };
};
