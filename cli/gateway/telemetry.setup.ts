import type { NatsConnection } from "@nats-io/transport-node";
import { GatewayMetrics, serve, startTracing, subjects, watchNatsConnection, type Tracing } from "../../bus/index.ts";
import type { MetricsReply } from "../../schemas/index.ts";
import type { Settings } from "../config/index.ts";
import { VERSION } from "../version.ts";

export interface Telemetry {
  /** null: `[telemetry] metrics = false` (the edge keeps its own counters for `/metrics`). */
  readonly metrics: GatewayMetrics | null;
  readonly tracing: Tracing | null;
  stop(): Promise<void>;
}

/**
 * The gateway's metrics registry (with the NATS connection's state) and, when `[telemetry]
 * otlp_endpoint` is set, the trace exporter. Without an endpoint nothing is registered with
 * OpenTelemetry: spans stay the API's no-ops.
 */
export function startTelemetry(settings: Settings, nc: NatsConnection, log: (line: string) => void): Telemetry {
  const metrics = settings.telemetry.metrics ? new GatewayMetrics() : null;
  const stopWatch = metrics ? watchNatsConnection(nc, metrics, (e) => log(`metrics: NATS status watch ended: ${String(e)}`)) : () => {};
  const endpoint = settings.telemetry.otlpEndpoint;
  const tracing = endpoint
    ? startTracing({ endpoint, serviceName: "cairn-gateway", serviceVersion: VERSION, scheduledDelayMillis: 1000 })
    : null;
  if (endpoint) log(`traces are exported to ${endpoint} (OTLP/HTTP)`);
  return {
    metrics,
    tracing,
    stop: async () => {
      stopWatch();
      // The last runs' spans are sent before the process goes.
      await tracing?.shutdown().catch((e) => log(`could not send the last traces: ${(e as Error).message}`));
    },
  };
}

/**
 * Answers `cairn metrics` on this gateway's own subject: the registry as prom-client's JSON. The
 * CLI holds NATS credentials already, so it needs no API key; the labels hold no secrets.
 */
export const serveMetrics = (nc: NatsConnection, gatewayId: string, metrics: GatewayMetrics | undefined) =>
  serve(
    nc,
    subjects.gatewayMetrics(gatewayId),
    async (): Promise<MetricsReply> => ({
      enabled: metrics !== undefined,
      // Only the contract's fields (prom-client adds aggregator and exemplar, which the CLI has no use for).
      families: ((await metrics?.json()) ?? []).map((f) => ({
        name: f.name,
        help: f.help,
        type: String(f.type),
        values: f.values.map((v) => {
          // Histogram samples name their series (`_bucket`, `_sum`, `_count`); prom-client's type omits it.
          const metricName = (v as { metricName?: string }).metricName;
          return { value: v.value, labels: { ...(v.labels as Record<string, string | number>) }, ...(metricName ? { metricName } : {}) };
        }),
      })),
    }),
  );
