import { isMethod } from "../../schemas/index.ts";
import { Counter } from "prom-client";
import type { GatewayMetrics } from "../telemetry/index.ts";

/**
 * The edge's figures, in the gateway's registry. Counts on the token path (live messages
 * forwarded, bytes in and out) stay plain numbers read at scrape time: a delta costs an addition,
 * not a label lookup. Label values come from closed sets (known methods, error codes, routes), so a
 * client cannot blow up cardinality.
 */
export class EdgeMetrics {
  wsOpen = 0;
  wsOpenedTotal = 0;
  wsDroppedSlow = 0;
  liveForwarded = 0;
  liveSkipped = 0;
  subscriptions = 0;
  /** Bus subscriptions for live subjects, each shared by every WebSocket watching it. */
  liveFeeds = 0;
  bytesIn = 0;
  bytesOut = 0;
  #requests = 0;
  #rejected = 0;
  readonly #wsRequests: Counter<"method" | "outcome">;
  readonly #framesRejected: Counter<"reason">;

  constructor(readonly gateway: GatewayMetrics) {
    const r = gateway.registry;
    this.#wsRequests = new Counter({
      name: "cairn_edge_ws_requests_total",
      help: "WebSocket requests by method and outcome (ok or error code).",
      labelNames: ["method", "outcome"],
      registers: [r],
    });
    this.#framesRejected = new Counter({
      name: "cairn_edge_ws_frames_rejected_total",
      help: "Frames refused before reaching a method.",
      labelNames: ["reason"],
      registers: [r],
    });
    gateway.gauge("cairn_edge_ws_connections", "Open WebSocket connections.", () => this.wsOpen);
    gateway.counter("cairn_edge_ws_connections_total", "WebSocket connections accepted.", () => this.wsOpenedTotal);
    gateway.counter("cairn_edge_ws_slow_dropped_total", "Connections closed for not reading fast enough.", () => this.wsDroppedSlow);
    gateway.gauge(
      "cairn_edge_live_subscriptions",
      "Active live subscriptions (a session or the session list, per WebSocket).",
      () => this.subscriptions,
    );
    gateway.gauge("cairn_edge_live_feeds", "Bus subscriptions for live subjects, shared by all WebSockets.", () => this.liveFeeds);
    gateway.counter("cairn_edge_live_forwarded_total", "Live messages forwarded to clients.", () => this.liveForwarded);
    gateway.counter("cairn_edge_live_skipped_total", "Live messages skipped because they were not well-formed.", () => this.liveSkipped);
    gateway.counter("cairn_edge_ws_received_bytes_total", "WebSocket payload bytes received.", () => this.bytesIn);
    gateway.counter("cairn_edge_ws_sent_bytes_total", "WebSocket payload bytes sent.", () => this.bytesOut);
  }

  request(method: string, outcome: string): void {
    this.#requests++;
    this.#wsRequests.inc({ method: isMethod(method) ? method : "unknown", outcome });
  }

  rejected(reason: string): void {
    this.#rejected++;
    this.#framesRejected.inc({ reason });
  }

  httpRequest(route: string, status: number): void {
    this.gateway.http.requests.inc({ route, status: String(status) });
  }

  snapshot() {
    return {
      wsOpen: this.wsOpen,
      wsOpenedTotal: this.wsOpenedTotal,
      wsDroppedSlow: this.wsDroppedSlow,
      subscriptions: this.subscriptions,
      liveFeeds: this.liveFeeds,
      requests: this.#requests,
      framesRejected: this.#rejected,
      liveForwarded: this.liveForwarded,
      liveSkipped: this.liveSkipped,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }
}
