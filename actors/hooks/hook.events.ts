import type { HookEventName } from "../../schemas/index.ts";

/**
 * Which events may change or refuse what they are about, and which part of their payload a hook
 * may replace. A hook's `{"action":"modify","data":{...}}` is read only for that key: a hook
 * cannot rename the tool it was shown or rewrite the run it belongs to. Every other event only
 * observes, and its hooks run in parallel.
 */
export const MODIFIABLE = {
  /** The arguments of one tool call, before its approval gate (a changed command is judged as changed). */
  BeforeToolCall: { key: "arguments", kind: "object" },
  /** The incoming user message as the run's model will read it. */
  BeforeAgentStart: { key: "message", kind: "string" },
  /** The outgoing reply as it is stored (the transcript, later prompts, channels). */
  MessageSending: { key: "text", kind: "string" },
} as const satisfies Partial<Record<HookEventName, { key: string; kind: "object" | "string" }>>;

export type ModifyingEvent = keyof typeof MODIFIABLE;
export type ObservedEvent = Exclude<HookEventName, ModifyingEvent>;

export const isModifying = (e: HookEventName): e is ModifyingEvent => Object.hasOwn(MODIFIABLE, e);

/** What a hook reads on stdin (the seed's shape: `event`, `data`, `session_id`, `timestamp`). */
export interface HookPayload {
  readonly event: HookEventName;
  readonly data: Readonly<Record<string, unknown>>;
  readonly session_id: string | null;
  readonly timestamp: string;
}

export const hookPayload = (event: HookEventName, data: Record<string, unknown>, sessionId: string | null, now: number): HookPayload => ({
  event,
  data,
  session_id: sessionId,
  timestamp: new Date(now).toISOString(),
});

/**
 * A sample payload per event, for `cairn hooks test NAME --event E`: the documented shape, with
 * made-up values.
 */
export const samplePayloadData = (event: HookEventName): Record<string, unknown> => {
  const run = { run_id: "r-sample", session_key: "sample" };
  switch (event) {
    case "BeforeToolCall":
      return { ...run, call_id: "call-1", tool: "exec", arguments: { command: "ls -la" } };
    case "AfterToolCall":
      return {
        ...run,
        call_id: "call-1",
        tool: "exec",
        arguments: { command: "ls -la" },
        output: "total 0",
        is_error: false,
        duration_ms: 12,
      };
    case "BeforeAgentStart":
      return { ...run, message_id: "m-1", message: "hello", model: "openai/gpt-4o-mini" };
    case "MessageSending":
      return { ...run, text: "Hello! How can I help?" };
    case "MessageSent":
      return { ...run, text: "Hello! How can I help?" };
    case "BeforeLLMCall":
      return { ...run, model: "openai/gpt-4o-mini", iteration: 1, messages: 2 };
    case "AfterLLMCall":
      return { ...run, model: "openai/gpt-4o-mini", iteration: 1, finish_reason: "stop", tool_calls: 0, usage: null };
    case "MessageReceived":
      return { session_key: "sample", message_id: "m-1", text: "hello", run_id: "r-sample" };
    case "AgentEnd":
      return { ...run, status: "completed", text: "Hello! How can I help?", error: null };
    case "SessionStart":
      return { session_key: "sample", title: null, model: null, forked_from: null };
    case "SessionEnd":
      return { session_key: "sample", message_count: 4 };
    case "ApprovalRequested":
      return { ...run, approval_id: "ap-1", call_id: "call-1", tool: "exec", command: "rm -rf build", reason: "writes files" };
    case "ApprovalDecided":
      return { ...run, approval_id: "ap-1", decision: "granted", by: "user", reason: null };
    case "NodeConnected":
      return { node_id: "n-1", name: "laptop" };
    case "NodeDisconnected":
      return { node_id: "n-1", name: "laptop" };
    case "CronRun":
      return { job_id: "nightly", status: "completed", slot: 0, run_id: "r-sample", duration_ms: 1200, error: null };
    case "GatewayStart":
      return { version: "0.0.0", url: "http://127.0.0.1:18789", workspace: "/tmp/workspaces" };
    case "GatewayStop":
      return { reason: "signal" };
  }
};
