import { randomInt } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { HttpResponse, TemplatedApp, us_listen_socket } from "uWebSockets.js";
import { CairnError } from "../../schemas/index.ts";
import { assertBindAllowed, bearerToken, isLocalClient, tokensEqual } from "./auth.ts";
import { healthReply } from "./http.health.ts";
import { attachNodePairing } from "./http.nodes.ts";
import { serveStatic } from "./http.static.ts";
import { jsonReply, readFacts, replyAsync, writeReply, type HttpReply, type RequestFacts } from "./http.util.ts";
import { EdgeMetrics } from "./metrics.ts";
import { createRateLimiter, defaultRateLimit } from "./rate-limit.ts";
import { assertNativeUws, uWS } from "./uws.ts";
import { makeSessionKey, type BusDeps } from "./ws.methods.ts";
import { attachWebSocket } from "./ws.route.ts";

export interface EdgeOptions {
  nc: NatsConnection;
  host: string;
  /** 0 picks a free port; `Edge.port` reports the real one. */
  port: number;
  uiDir: string;
  version: string;
  /** Required when `host` is not loopback (CAIRN_AUTH_TOKEN). */
  authToken?: string;
  /** Extra browser origins allowed to open the WebSocket (e.g. a Vite dev server). */
  allowedOrigins?: string[];
  log?: (line: string) => void;
  /** Injected for deterministic tests. */
  now?: () => number;
  newSessionKey?: () => string;
  /** This gateway's own status subject, for /health and the UI's status (default: `q.status.get`). */
  statusSubject?: string;
  rateLimit?: { ratePerSec: number; burst: number };
  /** A client whose unsent output exceeds this is dropped (close code 4008). */
  maxBufferedBytes?: number;
  requestTimeoutMs?: number;
}

export interface Edge {
  port: number;
  url: string;
  close(): Promise<void>;
  stats(): ReturnType<EdgeMetrics["snapshot"]>;
}

/** Starts the HTTP + WebSocket edge. Refuses the JS shim of uWS and unauthenticated exposure. */
export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  assertNativeUws();
  assertBindAllowed(opts.host, opts.authToken);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const token = opts.authToken === "" ? undefined : opts.authToken;
  if (token !== undefined && token.length < 16) log("warning: CAIRN_AUTH_TOKEN is shorter than 16 characters");
  const metrics = new EdgeMetrics();

  // NATS buffers requests while reconnecting; tracking the state lets requests fail fast instead.
  let busUp = !opts.nc.isClosed();
  const statusIter = opts.nc.status();
  void (async () => {
    for await (const s of statusIter) {
      if (s.type === "disconnect" || s.type === "close") busUp = false;
      else if (s.type === "reconnect") {
        busUp = true;
        log("edge: bus reconnected; live subscriptions replay what they missed");
      }
    }
  })().catch((e) => log(`edge: bus status watch ended: ${String(e)}`));
  const bus: BusDeps = {
    nc: opts.nc,
    isBusUp: () => busUp && !opts.nc.isClosed(),
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    newSessionKey: opts.newSessionKey ?? (() => makeSessionKey((max) => randomInt(max))),
    ...(opts.statusSubject ? { statusSubject: opts.statusSubject } : {}),
  };
  const healthDeps = { bus, version: opts.version, natsServerVersion: () => opts.nc.info?.version ?? null };
  let closing = false;

  const authorized = (f: RequestFacts): boolean => {
    if (isLocalClient(f)) return true;
    const given = bearerToken(f.authorization);
    return token !== undefined && given !== undefined && tokensEqual(given, token);
  };
  const route = (res: HttpResponse, f: RequestFacts, name: string, produce: () => Promise<HttpReply>) =>
    replyAsync(res, f.host, produce, (status) => metrics.httpRequest(name, status));
  const replyNow = (res: HttpResponse, f: RequestFacts, name: string, reply: HttpReply) => {
    metrics.httpRequest(name, reply.status);
    writeReply(res, reply, f.host);
  };

  const app: TemplatedApp = uWS.App();
  app.get("/health", (res, req) => {
    const f = readFacts(res, req);
    route(res, f, "health", () => healthReply(healthDeps, authorized(f)));
  });
  app.get("/metrics", (res, req) => {
    const f = readFacts(res, req);
    if (!authorized(f)) {
      const error = { code: "unauthorized", message: "Bearer token required" };
      return replyNow(res, f, "metrics", jsonReply(401, { error }, { "WWW-Authenticate": "Bearer" }));
    }
    const headers = { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" };
    replyNow(res, f, "metrics", { status: 200, headers, body: metrics.render() });
  });
  // Before the catch-all routes: unpaired nodes have no login, the pairing window is the gate.
  attachNodePairing(app, { bus, now, onReply: (name, status) => metrics.httpRequest(name, status) });
  const ws = attachWebSocket(app, {
    bus,
    metrics,
    version: opts.version,
    token,
    allowedOrigins: opts.allowedOrigins ?? [],
    newLimiter: () => createRateLimiter({ ...(opts.rateLimit ?? defaultRateLimit), now }),
    maxBufferedBytes: opts.maxBufferedBytes ?? 4 * 1024 * 1024,
    isClosing: () => closing,
    log,
  });
  app.get("/*", (res, req) => {
    const f = readFacts(res, req);
    if (f.url === "/ws") {
      return replyNow(res, f, "static", { status: 426, headers: { Upgrade: "websocket" }, body: "use a WebSocket\n" });
    }
    if (f.url.startsWith("/api/")) {
      return replyNow(res, f, "api", jsonReply(404, { error: { code: "bad_request", message: "no such endpoint" } }));
    }
    route(res, f, "static", () => serveStatic(opts.uiDir, f.url));
  });
  app.any("/*", (res, req) => {
    const f = readFacts(res, req);
    replyNow(res, f, "other", { status: 405, headers: { Allow: "GET" }, body: "method not allowed\n" });
  });

  const listenSocket = await new Promise<us_listen_socket | false>((resolve) => app.listen(opts.host, opts.port, resolve));
  const closeApp = () => {
    (statusIter as { stop?: () => void }).stop?.();
    // Also drops idle keep-alive HTTP sockets, which would hold the port and the event loop.
    // `close` exists at runtime in this uWS build but is missing from its types.
    (app as TemplatedApp & { close?: () => void }).close?.();
  };
  if (!listenSocket) {
    closeApp();
    throw new CairnError("unavailable", `cannot listen on ${opts.host}:${opts.port} (in use, or not an address of this machine)`);
  }
  const port = uWS.us_socket_local_port(listenSocket);
  const urlHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  log(`edge listening on http://${urlHost}:${port}`);

  return {
    port,
    url: `http://${urlHost}:${port}`,
    stats: () => metrics.snapshot(),
    close: async () => {
      if (closing) return;
      closing = true;
      uWS.us_listen_socket_close(listenSocket);
      await ws.closeAll();
      closeApp();
    },
  };
}
