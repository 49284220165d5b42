import { randomInt } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError, type Principal } from "../../schemas/index.ts";
import { hasScope } from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import { authRoutes } from "./http.auth.ts";
import { healthReply } from "./http.health.ts";
import { nodePairingRoutes } from "./http.nodes.ts";
import { channelWebhookRoute } from "./http.channels.ts";
import { metricsApiReply } from "./http.metrics.ts";
import { serveStatic, uiBuildOf } from "./http.static.ts";
import { jsonReply, withSecurityHeaders, type HttpReply } from "./http.util.ts";
import { LiveHub } from "./live.hub.ts";
import { DEFAULT_GUARD, LoginGuard } from "./login.guard.ts";
import { openAiRoutes } from "./http.openai.ts";
import { attachmentRoutes } from "./http.attachments.ts";
import type { AttachmentStore } from "../attachments/index.ts";
import { isIssuedSecret, presentedBy, Principals } from "./principals.ts";
import { EdgeMetrics } from "./metrics.ts";
import { GatewayMetrics } from "../telemetry/index.ts";
import { createRateLimiter, defaultRateLimit } from "./rate-limit.ts";
import { loadTransport, parseTrustedProxies, type TlsFiles, type TransportName, type TransportRequest } from "./transport/index.ts";
import { makeSessionKey, type BusDeps } from "./ws.methods.ts";
import { TabPresence } from "./tab.presence.ts";
import { attachWebSocket } from "./ws.route.ts";

export interface EdgeOptions {
  nc: NatsConnection;
  host: string;
  /** 0 picks a free port; `Edge.port` reports the real one. */
  port: number;
  uiDir: string;
  version: string;
  /** CAIRN_AUTH_TOKEN: a bearer token with every scope, for scripts (API keys are the better way). */
  authToken?: string;
  /** `[auth]`: local clients log in too (`requireOnLoopback`); the WebAuthn RP ID (default: the Host's name). */
  auth?: { requireOnLoopback?: boolean; rpId?: string };
  /** Guesses per client before login attempts are refused with 429 (default 10, then one per 6 s). */
  loginGuard?: { burst: number; refillMs: number };
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
  /** The gateway's registry, served at `/metrics`; default: the edge's own (tests). */
  metrics?: GatewayMetrics;
  /** Users' attached files: `/api/attachments` and `chat.send`'s references (absent: no attachments). */
  attachments?: AttachmentStore;
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

/** A new setup code is printed at most this often while remote visitors find no credential set. */
const SETUP_CODE_EVERY_MS = 10 * 60_000;

/**
 * Starts the HTTP + WebSocket edge on the chosen transport (see `loadTransport`). Off loopback
 * every request needs a login, an API key or the auth token (invariant 6).
 */
export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const factory = loadTransport(opts.transport);
  // Parsed first: a bad entry fails the start before anything listens.
  const trustedProxies = parseTrustedProxies(opts.trustedProxies ?? []);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const token = opts.authToken === "" ? undefined : opts.authToken;
  if (token !== undefined && token.length < 16) log("warning: CAIRN_AUTH_TOKEN is shorter than 16 characters");
  const metrics = new EdgeMetrics(opts.metrics ?? new GatewayMetrics({ processMetrics: false }));
  const http = metrics.gateway.http;

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
  const presence = new TabPresence();
  const presenceSub = presence.serve(opts.nc);
  const bus: BusDeps = {
    nc: opts.nc,
    presence,
    isBusUp: () => busUp && !opts.nc.isClosed(),
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    newSessionKey: opts.newSessionKey ?? (() => makeSessionKey((max) => randomInt(max))),
    ...(opts.statusSubject ? { statusSubject: opts.statusSubject } : {}),
    ...(opts.attachments ? { attachments: opts.attachments } : {}),
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

  const principals = new Principals({ bus, legacyToken: token, requireOnLoopback: opts.auth?.requireOnLoopback ?? false, now });
  const guard = new LoginGuard({ ...(opts.loginGuard ?? DEFAULT_GUARD), now });
  let lastSetupCode = Number.NEGATIVE_INFINITY;
  const setupNeeded = () => {
    if (now() - lastSetupCode < SETUP_CODE_EVERY_MS) return;
    lastSetupCode = now();
    // Printed here, on the gateway's terminal: the person at the machine reads it off and types it in.
    void request(opts.nc, subjects.command("auth", "global", "setup_code"), { by: "edge" }).then(
      (r) => log(`a remote browser wants to set up cairn: one-time setup code ${(r as { code: string }).code} (valid 30 minutes)`),
      (e) => log(`could not make a setup code: ${(e as Error).message}`),
    );
  };
  const auth = authRoutes({
    bus,
    principals,
    guard,
    allowedOrigins: opts.allowedOrigins ?? [],
    rpId: opts.auth?.rpId,
    secure: (f) => f.secure,
    setupNeeded,
    now,
  });
  /**
   * Who an HTTP request is. A bearer that is not of an issued shape can only be the auth token, a
   * secret a person chose: its guesses spend the client's guess limit, and past it even the right
   * token opens nothing until the limit refills.
   */
  const principalOf = async (req: TransportRequest): Promise<Principal | null> => {
    const presented = presentedBy((n) => req.header(n));
    const guessable = presented.bearer !== undefined && !isIssuedSecret(presented.bearer);
    const address = req.facts.clientAddress;
    if (guessable && guard.retryAfter(address) > 0) return null;
    const p = await principals.of(req.facts, presented).catch(() => null);
    if (!p && guessable) guard.failed(address);
    return p;
  };
  const openai = openAiRoutes({
    bus,
    principalOf,
    now,
    allowedOrigins: opts.allowedOrigins ?? [],
    ...(opts.attachments ? { attachments: opts.attachments } : {}),
  });
  const notFound = jsonReply(404, { error: { code: "bad_request", message: "no such endpoint" } });
  const pairing = nodePairingRoutes({ bus, now });
  const webhook = channelWebhookRoute(bus);
  const files = opts.attachments
    ? attachmentRoutes({ store: opts.attachments, principalOf, allowedOrigins: opts.allowedOrigins ?? [] })
    : () => undefined;

  /** Routes a request to its metrics name and reply. Synchronous until the route reads its body. */
  const route = (req: TransportRequest): [string, HttpReply | Promise<HttpReply>] => {
    const f = req.facts;
    const authRoute = auth(req);
    if (authRoute) return authRoute;
    // Before the catch-all routes: unpaired nodes have no login, the pairing window is the gate.
    const pair = req.method === "POST" ? pairing.get(f.url) : undefined;
    if (pair) return [pair.name, pair.handle(req)];
    // Telegram's servers have no login either: the channel checks the secret they echo.
    const hook = webhook(req);
    if (hook) return hook;
    const api = openai(req) ?? files(req);
    if (api) return api;
    if (req.method !== "GET") return ["other", { status: 405, headers: { Allow: "GET" }, body: "method not allowed\n" }];
    if (f.url === "/health") return ["health", principalOf(req).then((p) => healthReply(healthDeps, p !== null))];
    if (f.url === "/metrics") return ["metrics", principalOf(req).then(metricsReply)];
    if (f.url === "/ws") return ["static", { status: 426, headers: { Upgrade: "websocket" }, body: "use a WebSocket\n" }];
    if (f.url === "/api/metrics") return ["api_metrics", principalOf(req).then((p) => metricsApiReply(bus, p, f.query))];
    if (f.url.startsWith("/api/")) return ["api", notFound];
    return ["static", serveStatic(opts.uiDir, f.url, req.header("accept-encoding"))];
  };
  const metricsReply = async (p: Principal | null): Promise<HttpReply> => {
    if (!p)
      return jsonReply(
        401,
        { error: { code: "unauthorized", message: "an API key with operator.read is required" } },
        { "WWW-Authenticate": "Bearer" },
      );
    if (!hasScope(p.scopes, "operator.read"))
      return jsonReply(403, { error: { code: "forbidden", message: "/metrics needs the operator.read scope" } });
    const headers = { "Content-Type": metrics.gateway.contentType, "Cache-Control": "no-store" };
    return { status: 200, headers, body: await metrics.gateway.text() };
  };
  const done = (name: string, host: string, t0: number) => (reply: HttpReply) => {
    metrics.httpRequest(name, reply.status);
    http.inFlight.dec();
    http.duration.observe({ route: name }, (performance.now() - t0) / 1000);
    return withSecurityHeaders(reply, host);
  };

  const transport = await factory.create({ trustedProxies, ...(opts.tls ? { tls: opts.tls } : {}) });
  transport.http((req) => {
    const t0 = performance.now();
    const [name, reply] = route(req);
    http.inFlight.inc();
    const finish = done(name, req.facts.host, t0);
    if (!(reply instanceof Promise)) return finish(reply);
    // The cause is not echoed: it may name files or internals.
    return reply.catch((): HttpReply => jsonReply(500, { error: { code: "internal", message: "internal error" } })).then(finish);
  });
  const ws = attachWebSocket(transport, {
    bus,
    hub,
    metrics,
    version: opts.version,
    uiBuild: () => uiBuildOf(opts.uiDir),
    principals,
    guard,
    now,
    allowedOrigins: opts.allowedOrigins ?? [],
    newLimiter: () => createRateLimiter({ ...(opts.rateLimit ?? defaultRateLimit), now }),
    maxBufferedBytes: opts.maxBufferedBytes ?? 4 * 1024 * 1024,
    isClosing: () => closing,
    log,
  });

  principals.watch((gone) => ws.endWhere(gone));
  const port = await transport.listen(opts.host, opts.port);
  const stopStatusWatch = () => (statusIter as { stop?: () => void }).stop?.();
  if (port === undefined) {
    presenceSub.unsubscribe();
    principals.stop();
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
      presenceSub.unsubscribe();
      principals.stop();
      await ws.closeAll();
      stopStatusWatch();
      await transport.close();
    },
  };
}
