import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import { MessageId, ModelId, RunModelSwitched, SessionKey, Usage, WireError } from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type Decision } from "../runtime/aggregate.ts";
import { RUN_MACHINE_VERSION, runMachine } from "./run.machine.ts";

export const StartRun = Schema.Struct({ sessionKey: SessionKey, model: ModelId, triggerMessageId: MessageId });
export const CompleteRun = Schema.Struct({ text: Schema.String, usage: Schema.NullOr(Usage), finishReason: Schema.String });
export const FailRun = Schema.Struct({ error: WireError, partialText: Schema.String });
export const InterruptRun = Schema.Struct({ reason: Schema.String, partialText: Schema.String });
/** The model call gives `from` up (retryable error or cooling down) and goes on with `to`. */
export const SwitchModel = RunModelSwitched;

const schemas = { start: StartRun, complete: CompleteRun, fail: FailRun, interrupt: InterruptRun, switch_model: SwitchModel } as const;

export type RunCommand =
  | { verb: "start"; params: typeof StartRun.Type }
  | { verb: "complete"; params: typeof CompleteRun.Type }
  | { verb: "fail"; params: typeof FailRun.Type }
  | { verb: "interrupt"; params: typeof InterruptRun.Type }
  | { verb: "switch_model"; params: typeof SwitchModel.Type };

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
  if (s.value !== "running") return { events: [], reply: { ended: false, status: s.context.status } };
  const eventIds = [`${id}-ended`];
  switch (c.verb) {
    case "complete":
      return { events: [{ type: "run.completed", data: c.params }], eventIds, reply: { ended: true } };
    case "fail":
      return { events: [{ type: "run.failed", data: c.params }], eventIds, reply: { ended: true } };
    case "interrupt":
      return { events: [{ type: "run.interrupted", data: c.params }], eventIds, reply: { ended: true } };
  }
};
