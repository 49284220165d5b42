/**
 * Telemetry of a gateway process: its Prometheus registry and instruments (`GatewayMetrics`), the
 * NATS connection's state, and traces through `@opentelemetry/api` carried in NATS headers.
 */
export { GatewayMetrics, type Reading } from "./gateway.metrics.ts";
export { watchNatsConnection } from "./nats.metrics.ts";
export { inSpan, failSpan, startTracing, tracer, tracesUrl, type Tracing, type TracingOptions } from "./tracing.ts";
export { TRACEPARENT, contextFromTraceparent, traceHeaders, traceIdOf, traceparentOf } from "./trace.context.ts";
export {
  createLogWriter,
  isLogLevel,
  levelOfLine,
  LOG_LEVELS,
  type LogLevel,
  type LogWriter,
  type LogWriterOptions,
} from "./log.writer.ts";
export { scrubSecrets } from "./secrets.scrub.ts";
