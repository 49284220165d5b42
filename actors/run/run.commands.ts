import * as Schema from "effect/Schema";
import { CairnError } from "../../schemas/index.ts";
import type { SnapshotFrom } from "xstate";
import { MessageId, ModelId, RunModelSwitched, RunToolFinished, SessionKey, Usage, WireError } from "../../schemas/index.ts";
import { commandDecoder, type CommandOf, type AggregateSpec, type Decision } from "../runtime/aggregate.ts";
import { RUN_MACHINE_VERSION, runMachine } from "./run.machine.ts";

export const StartRun = Schema.Struct({ sessionKey: SessionKey, model: ModelId, triggerMessageId: MessageId });
export const CompleteRun = Schema.Struct({ text: Schema.String, usage: Schema.NullOr(Usage), finishReason: Schema.String });
export const FailRun = Schema.Struct({ error: WireError, partialText: Schema.String });
export const InterruptRun = Schema.Struct({ reason: Schema.String, partialText: Schema.String });
export const CancelRun = Schema.Struct({ by: Schema.String, partialText: Schema.String });
/** The model call gives `from` up (retryable error or cooling down) and goes on with `to`. */
export const SwitchModel = RunModelSwitched;
/** The calls of one model response, in order: recorded before any of them runs. */
export const RequestTools = Schema.Struct({
  iteration: Schema.Number,
  calls: Schema.Array(Schema.Struct({ callId: Schema.String, name: Schema.String, arguments: Schema.String, textOffset: Schema.optionalKey(Schema.Number) })),
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
} as const;

export type RunCommand = CommandOf<typeof schemas>;

type Snapshot = SnapshotFrom<typeof runMachine>;

export const runSpec: AggregateSpec<typeof runMachine, RunCommand> = {
  kind: "run",
  machine: runMachine,
  machineVersion: RUN_MACHINE_VERSION,
  input: (runId) => ({ runId }),
  decodeCommand: commandDecoder("runs", schemas),
  decide: (s, c) => decide(s, c),
};

/**
 * Every run command is idempotent: starting a started run or ending an ended one is a no-op, so
 * an effect retried after a lost reply can never start a second model call or end a run twice.
 */
const decide = (s: Snapshot, c: RunCommand): Decision => {
  const id = s.context.runId;
  if (c.verb === "start") {
    if (s.value !== "new") return { events: [], reply: { started: false } };
    return { events: [{ type: "run.started", data: { runId: id, ...c.params } }], eventIds: [`${id}-started`], reply: { started: true } };
  }
  if (c.verb === "switch_model") {
    // Idempotent by `from`: a retried switch finds the run already on `to` and writes nothing. A
    // chain never visits a model twice, so `to` makes the event id unique within the run.
    if (s.value !== "running" || s.context.model !== c.params.from) {
      return { events: [], reply: { switched: s.value === "running" && s.context.model === c.params.to } };
    }
    return { events: [{ type: "run.model_switched", data: c.params }], eventIds: [`${id}-to-${c.params.to}`], reply: { switched: true } };
  }
  const calls = s.context.toolCalls;
  const call = (callId: string) => calls.find((x) => x.callId === callId);
  if (c.verb === "request_tools") {
    // Idempotent: a retried request finds its calls recorded. A call id used before is refused.
    const fresh = c.params.calls.filter((x) => call(x.callId) === undefined);
    if (s.value !== "running" || fresh.length === 0) return { events: [], reply: { requested: s.value === "running" && c.params.calls.length > 0 } };
    if (fresh.length !== c.params.calls.length) throw new CairnError("bad_request", "some of these tool call ids are already recorded in this run");
    return {
      events: fresh.map((x) => ({ type: "run.tool_call_requested" as const, data: { ...x, iteration: c.params.iteration } })),
      eventIds: fresh.map((x) => `${id}-tool-${x.callId}-requested`),
      reply: { requested: true },
    };
  }
  if (c.verb === "start_tool") {
    // `started: true` only for the command that recorded the start: the caller runs the tool then,
    // and only then — a second start (retry, second host) can never run it again.
    if (s.value !== "running" || call(c.params.callId)?.status !== "requested") return { events: [], reply: { started: false } };
    return { events: [{ type: "run.tool_started", data: c.params }], eventIds: [`${id}-tool-${c.params.callId}-started`], reply: { started: true } };
  }
  if (c.verb === "refuse_tool") {
    // A call that will never start (approval denied or expired): its refusal is its result. Only
    // from "requested", so a call that started can never be rewritten as refused.
    if (s.value !== "running" || call(c.params.callId)?.status !== "requested") return { events: [], reply: { finished: false } };
    return {
      events: [{ type: "run.tool_finished", data: { callId: c.params.callId, output: c.params.output, truncated: false, isError: true, durationMs: 0 } }],
      eventIds: [`${id}-tool-${c.params.callId}-finished`],
      reply: { finished: true },
    };
  }
  if (c.verb === "finish_tool") {
    if (s.value !== "running" || call(c.params.callId)?.status !== "started") return { events: [], reply: { finished: false } };
    return { events: [{ type: "run.tool_finished", data: c.params }], eventIds: [`${id}-tool-${c.params.callId}-finished`], reply: { finished: true } };
  }
  if (s.value !== "running") return { events: [], reply: { ended: false, status: s.context.status } };
  // A run that ends with calls started and never finished (crash, shutdown, timeout) records
  // them as interrupted — their result to the model says so — and never runs them again.
  const cut = calls.filter((x) => x.status === "started");
  const reason =
    c.verb === "interrupt" ? c.params.reason : c.verb === "fail" ? c.params.error.message : c.verb === "cancel" ? `cancelled by the user (${c.params.by})` : "the run ended";
  const ending = (type: "run.completed" | "run.failed" | "run.interrupted" | "run.cancelled") => ({
    events: [
      ...cut.map((x) => ({ type: "run.tool_interrupted" as const, data: { callId: x.callId, reason } })),
      { type, data: c.params } as never,
    ],
    eventIds: [...cut.map((x) => `${id}-tool-${x.callId}-interrupted`), `${id}-ended`],
    reply: { ended: true, interruptedCalls: cut.map((x) => x.callId) },
  });
  switch (c.verb) {
    case "complete":
      return ending("run.completed");
    case "fail":
      return ending("run.failed");
    case "interrupt":
      return ending("run.interrupted");
    case "cancel":
      return ending("run.cancelled");
  }
};
