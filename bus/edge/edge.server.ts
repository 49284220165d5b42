import { randomInt } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../../schemas/index.ts";
import { assertBindAllowed, bearerToken, isLocalClient, tokensEqual } from "./auth.ts";
import { healthReply } from "./http.health.ts";
import { nodePairingRoutes } from "./http.nodes.ts";
import { serveStatic } from "./http.static.ts";
import { jsonReply, withSecurityHeaders, type HttpReply, type RequestFacts } from "./http.util.ts";
import { LiveHub } from "./live.hub.ts";
import { EdgeMetrics } from "./metrics.ts";
import { createRateLimiter, defaultRateLimit } from "./rate-limit.ts";
import { loadTransport, parseTrustedProxies, type TlsFiles, type TransportName, type TransportRequest } from "./transport/index.ts";
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
  /** Forces a transport; default: CAIRN_EDGE_TRANSPORT, else uWS where a native build loads, else node. */
  transport?: TransportName;
  /** Serve HTTPS/WSS with these PEM files (`resolveEdgeTls` makes or checks them). */
  tls?: TlsFiles;
  /** `[gateway] trusted_proxies`: IPs/CIDRs whose `Forwarded`/`X-Forwarded-*` are believed. */
  trustedProxies?: readonly string[];
}

export interface Edge {
  port: number;
  /** `https://…` when serving TLS. */
  url: string;
  /** Which server library serves: uWebSockets.js or node:http + ws. */
  transport: TransportName;
  close(): Promise<void>;
  stats(): ReturnType<EdgeMetrics["snapshot"]>;
}

/**
 * Starts the HTTP + WebSocket edge on the chosen transport (see `loadTransport`). Refuses
 * unauthenticated exposure.
 */
export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  assertBindAllowed(opts.host, opts.authToken);
  const factory = loadTransport(opts.transport);
  // Parsed first: a bad entry fails the start before anything listens.
  const trustedProxies = parseTrustedProxies(opts.trustedProxies ?? []);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const token = opts.authToken === "" ? undefined : opts.authToken;
  if (token !== undefined && token.length < 16) log("warning: CAIRN_AUTH_TOKEN is shorter than 16 characters");
  const metrics = new EdgeMetrics();

  const hub = new LiveHub(opts.nc, {
    onSkipped: () => metrics.liveSkipped++,
    onFeedCount: (d) => (metrics.liveFeeds += d),
    log,
  });
  // NATS buffers requests while reconnecting; tracking the state lets requests fail fast instead.
  let busUp = !opts.nc.isClosed();
  const statusIter = opts.nc.status();
  void (async () => {
    for await (const s of statusIter) {
      if (s.type === "disconnect" || s.type === "close") {
        busUp = false;
        hub.busDown();
      } else if (s.type === "reconnect") {
        busUp = true;
        log("edge: bus reconnected; live subscriptions replay what they missed");
        hub.busBack();
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
  let edgeUrl: string | undefined;
  const healthDeps = {
    bus,
    version: opts.version,
    transport: factory.name,
    natsServerVersion: () => opts.nc.info?.version ?? null,
    url: () => edgeUrl,
  };
  let closing = false;

  const authorized = (f: RequestFacts): boolean => {
    if (isLocalClient(f)) return true;
    const given = bearerToken(f.authorization);
    return token !== undefined && given !== undefined && tokensEqual(given, token);
  };
  const notFound = jsonReply(404, { error: { code: "bad_request", message: "no such endpoint" } });
  const pairing = nodePairingRoutes({ bus, now });

  /** Routes a request to its metrics name and reply. Synchronous until the route reads its body. */
  const route = (req: TransportRequest): [string, HttpReply | Promise<HttpReply>] => {
    const f = req.facts;
    // Before the catch-all routes: unpaired nodes have no login, the pairing window is the gate.
    const pair = req.method === "POST" ? pairing.get(f.url) : undefined;
    if (pair) return [pair.name, pair.handle(req)];
    if (req.method !== "GET") return ["other", { status: 405, headers: { Allow: "GET" }, body: "method not allowed\n" }];
    if (f.url === "/health") return ["health", healthReply(healthDeps, authorized(f))];
    if (f.url === "/metrics") {
      if (!authorized(f)) {
        const error = { code: "unauthorized", message: "Bearer token required" };
        return ["metrics", jsonReply(401, { error }, { "WWW-Authenticate": "Bearer" })];
      }
      const headers = { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" };
      return ["metrics", { status: 200, headers, body: metrics.render() }];
    }
    if (f.url === "/ws") return ["static", { status: 426, headers: { Upgrade: "websocket" }, body: "use a WebSocket\n" }];
    if (f.url.startsWith("/api/")) return ["api", notFound];
    return ["static", serveStatic(opts.uiDir, f.url)];
  };
  const done = (name: string, host: string) => (reply: HttpReply) => {
    metrics.httpRequest(name, reply.status);
    return withSecurityHeaders(reply, host);
  };

  const transport = await factory.create({ trustedProxies, ...(opts.tls ? { tls: opts.tls } : {}) });
  transport.http((req) => {
    const [name, reply] = route(req);
    const finish = done(name, req.facts.host);
    if (!(reply instanceof Promise)) return finish(reply);
    // The cause is not echoed: it may name files or internals.
    return reply.catch((): HttpReply => jsonReply(500, { error: { code: "internal", message: "internal error" } })).then(finish);
  });
  const ws = attachWebSocket(transport, {
    bus,
    hub,
    metrics,
    version: opts.version,
    token,
    allowedOrigins: opts.allowedOrigins ?? [],
    newLimiter: () => createRateLimiter({ ...(opts.rateLimit ?? defaultRateLimit), now }),
    maxBufferedBytes: opts.maxBufferedBytes ?? 4 * 1024 * 1024,
    isClosing: () => closing,
    log,
  });

  const port = await transport.listen(opts.host, opts.port);
  const stopStatusWatch = () => (statusIter as { stop?: () => void }).stop?.();
  if (port === undefined) {
    stopStatusWatch();
    await transport.close();
    throw new CairnError("unavailable", `cannot listen on ${opts.host}:${opts.port} (in use, or not an address of this machine)`);
  }
  const urlHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `${transport.secure ? "https" : "http"}://${urlHost}:${port}`;
  edgeUrl = url;
  log(`edge listening on ${url} (transport: ${transport.name})`);

  return {
    port,
    url,
    transport: transport.name,
    stats: () => metrics.snapshot(),
    close: async () => {
      if (closing) return;
      closing = true;
      await ws.closeAll();
      stopStatusWatch();
      await transport.close();
    },
  };
}
