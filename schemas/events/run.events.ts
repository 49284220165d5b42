import * as Schema from "effect/Schema";
import { MessageId, ModelId, RunId, SessionKey } from "../ids.ts";
import { WireError } from "../errors.ts";
import { ChannelAccess } from "../channels.ts";

/** Events of one agent run (`evt.run.<runId>`): what was asked of the model and how it ended. */

export const Usage = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  /** Prompt tokens served from the provider's cache (Anthropic cache reads, OpenAI cached tokens). */
  cacheReadTokens: Schema.optionalKey(Schema.Number),
  /** Prompt tokens written to the provider's cache (Anthropic cache creation). */
  cacheWriteTokens: Schema.optionalKey(Schema.Number),
});
export type Usage = typeof Usage.Type;

export const RunStarted = Schema.Struct({
  runId: RunId,
  sessionKey: SessionKey,
  model: ModelId,
  /** The user message that triggered the run. */
  triggerMessageId: MessageId,
  /** A channel sender's level (absent: the owner's run): which tools it is offered and how they are approved. */
  access: Schema.optionalKey(ChannelAccess),
});

export const RunCompleted = Schema.Struct({
  text: Schema.String,
  usage: Schema.NullOr(Usage),
  finishReason: Schema.String,
});

export const RunFailed = Schema.Struct({
  error: WireError,
  /** Whatever streamed before the failure, kept so the user sees it (marked failed). */
  partialText: Schema.String,
});

export const RunInterrupted = Schema.Struct({
  reason: Schema.String,
  partialText: Schema.String,
});

/** Stopped by a person (stop button, Ctrl-C): whatever streamed is kept, the model is told next turn. */
export const RunCancelled = Schema.Struct({
  /** Who stopped it: "web", "cli", ... */
  by: Schema.String,
  partialText: Schema.String,
});

/** The run moved to the next model of the fallback chain, before anything had streamed. */
export const RunModelSwitched = Schema.Struct({
  from: ModelId,
  to: ModelId,
  /** Why `from` was given up: a retryable provider error. */
  error: WireError,
  /** When `from` may be tried again (epoch ms), from Retry-After or exponential backoff. */
  cooldownUntil: Schema.Number,
});

/**
 * The model asked for a tool call (one event per call of a response, in the order it gave them),
 * appended before anything runs. `arguments` is the JSON text exactly as the model wrote it.
 */
export const RunToolCallRequested = Schema.Struct({
  callId: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  /** The model call (1, 2, ...) whose response asked for it. */
  iteration: Schema.Number,
  /** Characters of the run's reply streamed before the call was asked for (where the UI shows it). */
  textOffset: Schema.optionalKey(Schema.Number),
  /** The call id the provider gave, when the run had to rename it (empty, or repeated in the run). */
  providerId: Schema.optionalKey(Schema.String),
  /**
   * On the first call of a response only: what that response said besides asking for tools, and
   * its tokens — so the run's reply and usage so far (and the model's next prompt) are in the log.
   */
  reply: Schema.optionalKey(Schema.Struct({ text: Schema.String, usage: Schema.NullOr(Usage) })),
});

/** The tool is about to run: appended before it does, so a crash after this is an interruption. */
export const RunToolStarted = Schema.Struct({ callId: Schema.String });

/** The tool's result as the model got it (capped; `truncated` says so). */
export const RunToolFinished = Schema.Struct({
  callId: Schema.String,
  output: Schema.String,
  truncated: Schema.Boolean,
  isError: Schema.Boolean,
  durationMs: Schema.Number,
  /** Workspace-relative path of the complete output when the result was cut (exec keeps one). */
  fullOutput: Schema.optionalKey(Schema.String),
});

/** A call that had started when the run was interrupted (crash, shutdown): never run again. */
export const RunToolInterrupted = Schema.Struct({ callId: Schema.String, reason: Schema.String });

/**
 * A lifecycle hook changed or refused part of the run (HOOK.md, `actors/hooks/`), recorded before
 * the run acts on it: which hook, at which point, and what it changed. `BeforeToolCall` names the
 * call and, for a change, its new arguments (JSON) and the keys that changed; `BeforeAgentStart`
 * carries the incoming message as the model reads it; `MessageSending` the stored reply. A block
 * carries the hook's reason and is appended together with its consequence (the call's refusal,
 * the run's failure), so a crash can never leave one without the other.
 */
export const RunHooked = Schema.Struct({
  event: Schema.Literals(["BeforeToolCall", "BeforeAgentStart", "MessageSending"]),
  hook: Schema.String,
  action: Schema.Literals(["modify", "block"]),
  callId: Schema.optionalKey(Schema.String),
  value: Schema.optionalKey(Schema.String),
  changed: Schema.optionalKey(Schema.Array(Schema.String)),
  reason: Schema.optionalKey(Schema.String),
});

/**
 * Before model call `iteration` the prompt would not fit the model's context window: the run
 * summarises older turns first (the LLM call of `compact`), then makes the call. Recorded before
 * the summary is asked for, so a host taking the run over knows a summary call was under way.
 */
export const RunCompactionStarted = Schema.Struct({
  compactionId: Schema.String,
  iteration: Schema.Number,
  /** The prompt's estimated tokens and the window it had to fit. */
  tokens: Schema.Number,
  contextWindow: Schema.Number,
});

/** The summary is recorded on the session (`session.compacted`); the model call goes on with it. */
export const RunCompacted = Schema.Struct({ compactionId: Schema.String });

export const runEvents = {
  "run.started": { version: 1, schema: RunStarted },
  "run.completed": { version: 1, schema: RunCompleted },
  "run.failed": { version: 1, schema: RunFailed },
  "run.interrupted": { version: 1, schema: RunInterrupted },
  "run.cancelled": { version: 1, schema: RunCancelled },
  "run.model_switched": { version: 1, schema: RunModelSwitched },
  "run.tool_call_requested": { version: 1, schema: RunToolCallRequested },
  "run.hooked": { version: 1, schema: RunHooked },
  "run.tool_started": { version: 1, schema: RunToolStarted },
  "run.tool_finished": { version: 1, schema: RunToolFinished },
  "run.tool_interrupted": { version: 1, schema: RunToolInterrupted },
  "run.compaction_started": { version: 1, schema: RunCompactionStarted },
  "run.compacted": { version: 1, schema: RunCompacted },
} as const;
