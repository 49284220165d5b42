import type { NatsConnection } from "@nats-io/transport-node";
import type { GatewayMetrics } from "./gateway.metrics.ts";

/**
 * Exposes the gateway's NATS connection: whether it is up now (1/0), how often it dropped and came
 * back, and the client's own traffic counters. The state is followed from the connection's status
 * events (a disconnected client still looks open while it buffers and retries). Returns a stop.
 */
export function watchNatsConnection(nc: NatsConnection, metrics: GatewayMetrics, onEnd?: (e: unknown) => void): () => void {
  let up = !nc.isClosed();
  let disconnects = 0;
  let reconnects = 0;
  const statuses = nc.status();
  void (async () => {
    for await (const s of statuses) {
      if (s.type === "disconnect" || s.type === "close") {
        if (up) disconnects++;
        up = false;
      } else if (s.type === "reconnect") {
        up = true;
        reconnects++;
      }
    }
  })().catch((e) => onEnd?.(e));
  metrics.gauge("cairn_nats_connected", "1 while the gateway's NATS connection is up, 0 while it is down or reconnecting.", () =>
    up && !nc.isClosed() ? 1 : 0,
  );
  metrics.counter("cairn_nats_disconnects_total", "Times the NATS connection was lost.", () => disconnects);
  metrics.counter("cairn_nats_reconnects_total", "Times the NATS connection came back.", () => reconnects);
  metrics.counter("cairn_nats_received_bytes_total", "Bytes received from NATS.", () => nc.stats().inBytes);
  metrics.counter("cairn_nats_sent_bytes_total", "Bytes sent to NATS.", () => nc.stats().outBytes);
  metrics.counter("cairn_nats_received_messages_total", "Messages received from NATS.", () => nc.stats().inMsgs);
  metrics.counter("cairn_nats_sent_messages_total", "Messages sent to NATS.", () => nc.stats().outMsgs);
  return () => (statuses as { stop?: () => void }).stop?.();
}
