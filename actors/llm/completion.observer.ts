import { context, trace } from "@opentelemetry/api";
import { failSpan, tracer, type GatewayMetrics } from "../../bus/index.ts";
import { toWireError } from "../../schemas/index.ts";
import type { ToolStreamChunk } from "./provider.ts";

/** Which model a completion went to: the provider id (or its alias) and the provider-local model name. */
export interface CompletionLabels {
  readonly provider: string;
  readonly model: string;
}

/**
 * Wraps one completion's stream to measure it: a `chat <model>` span (OpenTelemetry GenAI names),
 * the duration, the time to the first text or tool call, the tokens reported in `done`, and the
 * failure's stable code. Chunks pass through untouched; the wrapper reads the clock three times per
 * completion, never per chunk beyond the first. An abandoned stream (the caller broke off) counts
 * as neither success nor failure.
 */
export async function* observeCompletion<C extends ToolStreamChunk>(
  stream: AsyncIterable<C>,
  labels: CompletionLabels,
  metrics: GatewayMetrics | undefined,
  now: () => number = performance.now.bind(performance),
): AsyncGenerator<C> {
  const l = { provider: labels.provider, model: labels.model };
  const span = tracer().startSpan(`chat ${labels.model}`, {
    attributes: { "gen_ai.operation.name": "chat", "gen_ai.system": labels.provider, "gen_ai.request.model": labels.model },
  });
  const t0 = now();
  let first = true;
  let settled = false;
  try {
    // The provider's own HTTP work runs inside the span, so any span it starts is a child.
    const it = context.with(trace.setSpan(context.active(), span), () => stream[Symbol.asyncIterator]());
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const chunk = r.value;
      if (first && chunk.type !== "done" && chunk.type !== "tool_call_delta") {
        first = false;
        metrics?.llm.ttft.observe(l, (now() - t0) / 1000);
      }
      if (chunk.type === "done") {
        settled = true;
        const u = chunk.usage;
        if (metrics) {
          metrics.llm.completions.inc({ ...l, outcome: "ok" });
          metrics.llm.duration.observe(l, (now() - t0) / 1000);
          if (u) {
            metrics.llm.inputTokens.inc(l, u.inputTokens);
            metrics.llm.outputTokens.inc(l, u.outputTokens);
            if (u.cacheReadTokens) metrics.llm.cacheReadTokens.inc(l, u.cacheReadTokens);
            if (u.cacheWriteTokens) metrics.llm.cacheWriteTokens.inc(l, u.cacheWriteTokens);
          }
        }
        if (u) span.setAttributes({ "gen_ai.usage.input_tokens": u.inputTokens, "gen_ai.usage.output_tokens": u.outputTokens });
        span.setAttribute("gen_ai.response.finish_reasons", [chunk.finishReason]);
      }
      yield chunk;
    }
  } catch (e) {
    if (!settled) {
      settled = true;
      const code = toWireError(e).code;
      if (metrics) {
        metrics.llm.completions.inc({ ...l, outcome: "error" });
        metrics.llm.errors.inc({ ...l, error_type: code });
        metrics.llm.duration.observe(l, (now() - t0) / 1000);
      }
      failSpan(span, e);
    }
    throw e;
  } finally {
    span.end();
  }
}
