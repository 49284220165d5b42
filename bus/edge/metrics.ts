import { isMethod } from "../../schemas/index.ts";

/**
 * In-process counters of the edge, rendered as Prometheus text for `GET /metrics`. Label values
 * come from closed sets (known methods, error codes), so a client cannot blow up cardinality.
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
  readonly requests = new Map<string, number>();
  readonly framesRejected = new Map<string, number>();
  readonly http = new Map<string, number>();

  request(method: string, outcome: string): void {
    const key = `${isMethod(method) ? method : "unknown"}\u0000${outcome}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  rejected(reason: string): void {
    this.framesRejected.set(reason, (this.framesRejected.get(reason) ?? 0) + 1);
  }

  httpRequest(route: string, status: number): void {
    const key = `${route}\u0000${status}`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
  }

  snapshot() {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      wsOpen: this.wsOpen,
      wsOpenedTotal: this.wsOpenedTotal,
      wsDroppedSlow: this.wsDroppedSlow,
      subscriptions: this.subscriptions,
      liveFeeds: this.liveFeeds,
      requests: sum(this.requests),
      framesRejected: sum(this.framesRejected),
      liveForwarded: this.liveForwarded,
      liveSkipped: this.liveSkipped,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }

  render(): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) out.push(`${name}${labels} ${v}`);
    };
    const pairs = (m: Map<string, number>, a: string, b: string): [string, number][] =>
      [...m].map(([k, v]) => {
        const [x, y] = k.split("\u0000");
        return [`{${a}="${x}",${b}="${y}"}`, v];
      });
    metric("cairn_edge_ws_connections", "gauge", "Open WebSocket connections.", [["", this.wsOpen]]);
    metric("cairn_edge_ws_connections_total", "counter", "WebSocket connections accepted.", [["", this.wsOpenedTotal]]);
    metric("cairn_edge_ws_slow_dropped_total", "counter", "Connections closed for not reading fast enough.", [["", this.wsDroppedSlow]]);
    metric(
      "cairn_edge_ws_requests_total",
      "counter",
      "WebSocket requests by method and outcome (ok or error code).",
      pairs(this.requests, "method", "outcome"),
    );
    metric(
      "cairn_edge_ws_frames_rejected_total",
      "counter",
      "Frames refused before reaching a method.",
      [...this.framesRejected].map(([r, v]) => [`{reason="${r}"}`, v]),
    );
    metric("cairn_edge_live_subscriptions", "gauge", "Active live subscriptions (a session or the session list, per WebSocket).", [
      ["", this.subscriptions],
    ]);
    metric("cairn_edge_live_feeds", "gauge", "Bus subscriptions for live subjects, shared by all WebSockets.", [["", this.liveFeeds]]);
    metric("cairn_edge_live_forwarded_total", "counter", "Live messages forwarded to clients.", [["", this.liveForwarded]]);
    metric("cairn_edge_live_skipped_total", "counter", "Live messages skipped because they were not well-formed.", [
      ["", this.liveSkipped],
    ]);
    metric("cairn_edge_ws_received_bytes_total", "counter", "WebSocket payload bytes received.", [["", this.bytesIn]]);
    metric("cairn_edge_ws_sent_bytes_total", "counter", "WebSocket payload bytes sent.", [["", this.bytesOut]]);
    metric("cairn_edge_http_requests_total", "counter", "HTTP requests by route and status.", pairs(this.http, "route", "status"));
    return `${out.join("\n")}\n`;
  }
}
