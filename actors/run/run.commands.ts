import * as Schema from "effect/Schema";
import { CairnError } from "../../schemas/index.ts";
import type { SnapshotFrom } from "xstate";
import {
  ChannelAccess,
  MessageId,
  ModelId,
  RunCompacted,
  RunCompactionStarted,
  RunHooked,
  RunModelSwitched,
  RunToolCallRequested,
  RunToolFinished,
  SessionKey,
  Usage,
  WireError,
  type EventType,
  type NewEvent,
} from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type CommandOf, type DecideEnv, type Decision } from "../runtime/index.ts";
import { RUN_MACHINE_VERSION, runMachine } from "./run.machine.ts";

export const StartRun = Schema.Struct({
  sessionKey: SessionKey,
  model: ModelId,
  triggerMessageId: MessageId,
  access: Schema.optionalKey(ChannelAccess),
});
export const CompleteRun = Schema.Struct({ text: Schema.String, usage: Schema.NullOr(Usage), finishReason: Schema.String });
export const FailRun = Schema.Struct({ error: WireError, partialText: Schema.String });
export const InterruptRun = Schema.Struct({ reason: Schema.String, partialText: Schema.String });
export const CancelRun = Schema.Struct({ by: Schema.String, partialText: Schema.String });
/** The model call gives `from` up (retryable error or cooling down) and goes on with `to`. */
export const SwitchModel = RunModelSwitched;
/** The calls of one model response, in order: recorded before any of them runs. */
export const RequestTools = Schema.Struct({
  iteration: Schema.Number,
  /** What the response said besides asking for tools, and its tokens (see `run.tool_call_requested`). */
  reply: Schema.optionalKey(RunToolCallRequested.fields.reply),
  calls: Schema.Array(
    Schema.Struct({
      callId: Schema.String,
      name: Schema.String,
      arguments: Schema.String,
      textOffset: Schema.optionalKey(Schema.Number),
      providerId: Schema.optionalKey(Schema.String),
    }),
  ),
});
export const StartTool = Schema.Struct({ callId: Schema.String });
export const FinishTool = RunToolFinished;
/** A requested call that will not run (its approval was denied or expired). */
export const RefuseTool = Schema.Struct({ callId: Schema.String, output: Schema.String });

const schemas = {
  start: StartRun,
  complete: CompleteRun,
  fail: FailRun,
  interrupt: InterruptRun,
  cancel: CancelRun,
  switch_model: SwitchModel,
  request_tools: RequestTools,
  start_tool: StartTool,
  finish_tool: FinishTool,
  refuse_tool: RefuseTool,
  hook: RunHooked,
  start_compaction: RunCompactionStarted,
  finish_compaction: RunCompacted,
} as const;

export type RunCommand = CommandOf<typeof schemas>;

type Snapshot = SnapshotFrom<typeof runMachine>;
type RunEventType = Extract<EventType, `run.${string}`>;

export const runSpec: AggregateSpec<typeof runMachine, RunCommand> = {
  kind: "run",
  machine: runMachine,
  machineVersion: RUN_MACHINE_VERSION,
  input: (runId) => ({ runId }),
  decodeCommand: commandDecoder("runs", schemas),
  decide: (s, c, env) => decide(s, c, env),
  // A requested call may wait for an approval for as long as its expiry allows.
  continuing: ["runTool"],
};

/**
 * Every run command is idempotent: starting a started run or ending an ended one is a no-op, so
 * an effect retried after a lost reply can never start a second model call or end a run twice.
 * Whether a command may write is the machine's answer (`can`: its states and guards), not a copy
 * of its rules here.
 */
const decide = (s: Snapshot, c: RunCommand, env: DecideEnv): Decision => {
  const id = s.context.runId;
  const can = (type: RunEventType, data: unknown) => s.can({ type, data, seq: 0, time: env.now } as never);
  const running = s.matches("running");
  const statusOf = (callId: string) => s.context.toolCalls.find((x) => x.callId === callId)?.status;
  switch (c.verb) {
    case "start": {
      const data = { runId: id, ...c.params };
      if (!can("run.started", data)) return { events: [], reply: { started: false } };
      return { events: [{ type: "run.started", data }], eventIds: [`${id}-started`], reply: { started: true } };
    }
    case "switch_model":
      // Idempotent by `from`: a retried switch finds the run already on `to` and writes nothing. A
      // chain never visits a model twice, so `to` makes the event id unique within the run.
      if (!can("run.model_switched", c.params)) return { events: [], reply: { switched: running && s.context.model === c.params.to } };
      return { events: [{ type: "run.model_switched", data: c.params }], eventIds: [`${id}-to-${c.params.to}`], reply: { switched: true } };
    case "request_tools": {
      // Idempotent: a retried request finds its calls recorded. A call id used before is refused.
      const { iteration, reply, calls } = c.params;
      const fresh = calls.filter((x) => statusOf(x.callId) === undefined);
      if (!running || fresh.length === 0) return { events: [], reply: { requested: running && calls.length > 0 } };
      if (fresh.length !== calls.length)
        throw new CairnError("bad_request", "some of these tool call ids are already recorded in this run");
      const events = fresh.map((x, i) => ({
        type: "run.tool_call_requested" as const,
        data: { ...x, iteration, ...(i === 0 && reply ? { reply } : {}) },
      }));
      // Only a run waiting for a model response can be asked for tools.
      if (!can(events[0].type, events[0].data)) return { events: [], reply: { requested: false } };
      return { events, eventIds: fresh.map((x) => `${id}-tool-${x.callId}-requested`), reply: { requested: true } };
    }
    case "start_tool":
      // `started: true` only for the command that recorded the start: the caller runs the tool then,
      // and only then — a second start (retry, second host) can never run it again.
      if (!can("run.tool_started", c.params)) return { events: [], reply: { started: false } };
      return {
        events: [{ type: "run.tool_started", data: c.params }],
        eventIds: [`${id}-tool-${c.params.callId}-started`],
        reply: { started: true },
      };
    case "refuse_tool": {
      // A call that will never start (approval denied or expired): its refusal is its result. Only
      // a call that could still start may be refused, so a started call can never be rewritten.
      const data = { callId: c.params.callId, output: c.params.output, truncated: false, isError: true, durationMs: 0 };
      if (!can("run.tool_started", { callId: c.params.callId })) return { events: [], reply: { finished: false } };
      return {
        events: [{ type: "run.tool_finished", data }],
        eventIds: [`${id}-tool-${c.params.callId}-finished`],
        reply: { finished: true },
      };
    }
    case "finish_tool":
      // A result is recorded only for a call that started (a requested one is refused, not finished).
      if (statusOf(c.params.callId) !== "started" || !can("run.tool_finished", c.params)) return { events: [], reply: { finished: false } };
      return {
        events: [{ type: "run.tool_finished", data: c.params }],
        eventIds: [`${id}-tool-${c.params.callId}-finished`],
        reply: { finished: true },
      };
    case "hook":
      return hooked(s, c.params);
    case "start_compaction":
      // `started: true` only for the command that recorded it: only then is the summary asked for.
      if (!can("run.compaction_started", c.params)) return { events: [], reply: { started: false } };
      return {
        events: [{ type: "run.compaction_started", data: c.params }],
        eventIds: [`${id}-compact-${c.params.iteration}`],
        reply: { started: true },
      };
    case "finish_compaction":
      if (!can("run.compacted", c.params)) return { events: [], reply: { finished: false } };
      return {
        events: [{ type: "run.compacted", data: c.params }],
        eventIds: [`${id}-compacted-${c.params.compactionId}`],
        reply: { finished: true },
      };
    case "complete":
      return ending(s, c, "run.completed");
    case "fail":
      return ending(s, c, "run.failed");
    case "interrupt":
      return ending(s, c, "run.interrupted");
    case "cancel":
      return ending(s, c, "run.cancelled");
  }
};

type Ending = Extract<RunCommand, { verb: "complete" | "fail" | "interrupt" | "cancel" }>;

/**
 * A run that ends with calls started and never finished (crash, shutdown, timeout) records them
 * as interrupted — their result to the model says so — and never runs them again.
 */
const ending = (s: Snapshot, c: Ending, type: "run.completed" | "run.failed" | "run.interrupted" | "run.cancelled"): Decision => {
  if (!s.can({ type, data: c.params, seq: 0, time: 0 } as never)) return { events: [], reply: { ended: false, status: s.context.status } };
  const id = s.context.runId;
  const cut = s.context.toolCalls.filter((x) => x.status === "started");
  const reason =
    c.verb === "interrupt"
      ? c.params.reason
      : c.verb === "fail"
        ? c.params.error.message
        : c.verb === "cancel"
          ? `cancelled by the user (${c.params.by})`
          : "the run ended";
  return {
    events: [
      ...cut.map((x) => ({ type: "run.tool_interrupted" as const, data: { callId: x.callId, reason } })),
      { type, data: c.params } as NewEvent,
    ],
    eventIds: [...cut.map((x) => `${id}-tool-${x.callId}-interrupted`), `${id}-ended`],
    reply: { ended: true, interrupted: cut.map((x) => ({ callId: x.callId, name: x.name })) },
  };
};

/**
 * A hook's decision, recorded before the run acts on it. A block is appended with what it causes
 * in the same write: a refused call (its result says which hook and why) or, before the agent
 * starts, the run's failure. Idempotent by hook and point: a retry records nothing new.
 */
const hooked = (s: Snapshot, d: typeof RunHooked.Type): Decision => {
  const id = s.context.runId;
  if (!s.can({ type: "run.hooked", data: d, seq: 0, time: 0 } as never)) return { events: [], reply: { recorded: false } };
  const hookId = `${id}-hook-${d.callId ?? d.event}-${d.hook}`.slice(0, 200);
  const why = `blocked by hook ${d.hook}: ${d.reason ?? ""}`;
  if (d.action === "block" && d.callId !== undefined)
    return {
      events: [
        { type: "run.hooked", data: d },
        {
          type: "run.tool_finished",
          data: { callId: d.callId, output: `${why}; the call was not run`, truncated: false, isError: true, durationMs: 0 },
        },
      ],
      eventIds: [hookId, `${id}-tool-${d.callId}-finished`],
      reply: { recorded: true },
    };
  if (d.action === "block" && d.event === "BeforeAgentStart")
    return {
      events: [
        { type: "run.hooked", data: d },
        { type: "run.failed", data: { error: { code: "hook_blocked", message: why }, partialText: "" } },
      ],
      eventIds: [hookId, `${id}-ended`],
      reply: { recorded: true },
    };
  return { events: [{ type: "run.hooked", data: d }], eventIds: [hookId], reply: { recorded: true } };
};
