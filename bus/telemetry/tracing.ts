import { context, propagation, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { AsyncLocalContextManager } from "./context.manager.ts";

/** The tracer every part of cairn uses: a no-op until `startTracing` registers an exporting provider. */
export const tracer = (): Tracer => trace.getTracer("cairn");

export interface TracingOptions {
  /** `[telemetry] otlp_endpoint`: the collector's base URL (`/v1/traces` is appended unless given). */
  readonly endpoint: string;
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** `service.instance.id`: which gateway or node sent the spans. */
  readonly instanceId?: string;
  /** How long spans wait before a batch is sent (the SDK's default is 5 s). */
  readonly scheduledDelayMillis?: number;
}

export interface Tracing {
  /** Sends the spans still queued (shutdown, tests). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP URL for traces: the endpoint as given when it names a path, else `<endpoint>/v1/traces`. */
export const tracesUrl = (endpoint: string): string => {
  const u = new URL(endpoint);
  return u.pathname === "/" || u.pathname === "" ? new URL("/v1/traces", u).toString() : u.toString();
};

/**
 * Exports this process's spans to an OTLP/HTTP collector (JSON over HTTP, batched). Registers the
 * global tracer provider and an AsyncLocalStorage context manager, so spans nest across awaits.
 * Without it (no `otlp_endpoint`) the API stays a no-op: a span costs a function call.
 */
export function startTracing(o: TracingOptions): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": o.serviceName,
      ...(o.serviceVersion ? { "service.version": o.serviceVersion } : {}),
      ...(o.instanceId ? { "service.instance.id": o.instanceId } : {}),
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(o.endpoint) }), {
        ...(o.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: o.scheduledDelayMillis } : {}),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Runs `fn` inside a new span (child of the active one, or of `parent`), ending it when `fn`
 * settles; a throw marks the span an error (with the error's stable code when it has one).
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  const ctx = parent ?? context.active();
  const span = tracer().startSpan(name, { attributes }, ctx);
  try {
    return await context.with(trace.setSpan(ctx, span), () => fn(span));
  } catch (e) {
    failSpan(span, e);
    throw e;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's code (a `CairnError`'s stable code) and message. */
export function failSpan(span: Span, e: unknown): void {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string") span.setAttribute("error.type", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
}
