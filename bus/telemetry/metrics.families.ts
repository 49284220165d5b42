import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * The metric families of a gateway, named after the seed's (`moltis_*` → `cairn_*`). Every label
 * takes its values from a closed or configured set (routes, methods, providers and models from the
 * config, tool names, error codes, backends): never a session key, a run id, a path or a secret, so
 * a client cannot grow the series without bound.
 */

const SECONDS_FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SECONDS_LLM = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const SECONDS_TTFT = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const SECONDS_WORK = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SECONDS_PEOPLE = [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600];

export const httpFamilies = (r: Registry) => ({
  requests: new Counter({
    name: "cairn_http_requests_total",
    help: "HTTP requests by route and status (the WebSocket upgrade is route ws).",
    labelNames: ["route", "status"] as const,
    registers: [r],
  }),
  duration: new Histogram({
    name: "cairn_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route.",
    labelNames: ["route"] as const,
    buckets: SECONDS_FAST,
    registers: [r],
  }),
  inFlight: new Gauge({ name: "cairn_http_requests_in_flight", help: "HTTP requests being answered.", registers: [r] }),
});

export const llmFamilies = (r: Registry) => {
  const pm = ["provider", "model"] as const;
  const tokens = (kind: string, help: string) =>
    new Counter({ name: `cairn_llm_${kind}_tokens_total`, help, labelNames: pm, registers: [r] });
  return {
    completions: new Counter({
      name: "cairn_llm_completions_total",
      help: "Model completions requested, by outcome (ok or error).",
      labelNames: [...pm, "outcome"] as const,
      registers: [r],
    }),
    duration: new Histogram({
      name: "cairn_llm_completion_duration_seconds",
      help: "Duration of a model completion, request to last chunk.",
      labelNames: pm,
      buckets: SECONDS_LLM,
      registers: [r],
    }),
    ttft: new Histogram({
      name: "cairn_llm_time_to_first_token_seconds",
      help: "Time from the request to the first streamed text or tool call.",
      labelNames: pm,
      buckets: SECONDS_TTFT,
      registers: [r],
    }),
    inputTokens: tokens("input", "Prompt tokens (cached parts included), as the provider reported them."),
    outputTokens: tokens("output", "Tokens generated."),
    cacheReadTokens: tokens("cache_read", "Prompt tokens served from the provider's cache."),
    cacheWriteTokens: tokens("cache_write", "Prompt tokens written to the provider's cache."),
    errors: new Counter({
      name: "cairn_llm_completion_errors_total",
      help: "Failed completions by error code (rate_limited, provider_error, timeout, ...).",
      labelNames: [...pm, "error_type"] as const,
      registers: [r],
    }),
    fallbacks: new Counter({
      name: "cairn_llm_fallbacks_total",
      help: "Runs switched to the next model of the fallback chain, by the model given up and the next one.",
      labelNames: ["from", "to"] as const,
      registers: [r],
    }),
  };
};

export const toolFamilies = (r: Registry) => ({
  executions: new Counter({
    name: "cairn_tool_executions_total",
    help: "Tool calls run, by tool and outcome (ok or error).",
    labelNames: ["tool", "outcome"] as const,
    registers: [r],
  }),
  duration: new Histogram({
    name: "cairn_tool_execution_duration_seconds",
    help: "Time a tool call ran.",
    labelNames: ["tool"] as const,
    buckets: SECONDS_WORK,
    registers: [r],
  }),
  errors: new Counter({
    name: "cairn_tool_execution_errors_total",
    help: "Tool calls that failed, by error code.",
    labelNames: ["tool", "error_type"] as const,
    registers: [r],
  }),
  approvals: new Counter({
    name: "cairn_tool_approvals_total",
    help: "Approvals asked of a person, by tool and decision (granted, denied, expired).",
    labelNames: ["tool", "decision"] as const,
    registers: [r],
  }),
  approvalWait: new Histogram({
    name: "cairn_tool_approval_wait_seconds",
    help: "Time a tool call waited for a person's decision.",
    labelNames: ["tool", "decision"] as const,
    buckets: SECONDS_PEOPLE,
    registers: [r],
  }),
});

export const sandboxFamilies = (r: Registry) => ({
  commands: new Counter({
    name: "cairn_sandbox_command_executions_total",
    help: "Commands run in a sandbox, by backend and outcome (exit_zero, exit_nonzero, timed_out, error).",
    labelNames: ["backend", "outcome"] as const,
    registers: [r],
  }),
  duration: new Histogram({
    name: "cairn_sandbox_command_duration_seconds",
    help: "Time a sandboxed command ran.",
    labelNames: ["backend"] as const,
    buckets: SECONDS_WORK,
    registers: [r],
  }),
});

export const nodeFamilies = (r: Registry) => ({
  commands: new Counter({
    name: "cairn_node_commands_total",
    help: "Commands sent to nodes, by outcome (exit_zero, exit_nonzero, timed_out, error).",
    labelNames: ["outcome"] as const,
    registers: [r],
  }),
  duration: new Histogram({
    name: "cairn_node_command_duration_seconds",
    help: "Time from sending a command to a node to its result.",
    buckets: SECONDS_WORK,
    registers: [r],
  }),
});

export const eventLogFamilies = (r: Registry) => ({
  appends: new Counter({
    name: "cairn_event_log_appends_total",
    help: "Events appended to the log, by aggregate kind.",
    labelNames: ["kind"] as const,
    registers: [r],
  }),
  bytes: new Counter({
    name: "cairn_event_log_append_bytes_total",
    help: "Payload bytes of the events appended, by aggregate kind.",
    labelNames: ["kind"] as const,
    registers: [r],
  }),
  conflicts: new Counter({
    name: "cairn_event_log_append_conflicts_total",
    help: "Appends refused because another writer got there first (expected sequence or duplicate id).",
    labelNames: ["kind"] as const,
    registers: [r],
  }),
  errors: new Counter({
    name: "cairn_event_log_append_errors_total",
    help: "Appends that failed otherwise, by error code (log_full, unavailable, internal).",
    labelNames: ["kind", "error_type"] as const,
    registers: [r],
  }),
  duration: new Histogram({
    name: "cairn_event_log_append_duration_seconds",
    help: "Time to append one batch of events (publish to acknowledgement).",
    buckets: SECONDS_FAST,
    registers: [r],
  }),
});

export const projectionFamilies = (r: Registry) => ({
  applied: new Counter({ name: "cairn_projection_events_applied_total", help: "Events applied to the read models.", registers: [r] }),
});
