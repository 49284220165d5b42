import { assign, setup } from "xstate";
import type { RunStatus, WireError } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/machine-events.ts";

/** 2: context gained `iteration` and `toolCalls` (older snapshots are replayed from the log). */
export const RUN_MACHINE_VERSION = 2;

/** One tool call of the run, as the log tells it. */
export interface RunToolCall {
  readonly callId: string;
  readonly name: string;
  readonly arguments: string;
  readonly iteration: number;
  readonly status: "requested" | "started" | "finished" | "interrupted";
  readonly isError: boolean;
}

export interface RunContext {
  readonly runId: string;
  readonly sessionKey: string;
  /** The model the run is on: the one it started with, or the last fallback it moved to. */
  readonly model: string;
  readonly triggerMessageId: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly status: "new" | "running" | RunStatus;
  readonly text: string;
  readonly error: WireError | null;
  /** The last model call that asked for tools (0: none yet). */
  readonly iteration: number;
  readonly toolCalls: readonly RunToolCall[];
}

type Ev =
  | MachineEvent<"run.started">
  | MachineEvent<"run.completed">
  | MachineEvent<"run.failed">
  | MachineEvent<"run.interrupted">
  | MachineEvent<"run.cancelled">
  | MachineEvent<"run.model_switched">
  | MachineEvent<"run.tool_call_requested">
  | MachineEvent<"run.tool_started">
  | MachineEvent<"run.tool_finished">
  | MachineEvent<"run.tool_interrupted">;

const setCall = (calls: readonly RunToolCall[], callId: string, patch: Partial<RunToolCall>): RunToolCall[] =>
  calls.map((c) => (c.callId === callId ? { ...c, ...patch } : c));

type EndParams = { sessionKey: string; runId: string; status: RunStatus; text: string; error?: WireError };

const endWith = (status: RunStatus) => [
  assign(({ event }: { event: Ev }) => ({
    status,
    endedAt: event.time,
    text: event.type === "run.completed" ? event.data.text : "partialText" in event.data ? event.data.partialText : "",
    error:
      event.type === "run.failed"
        ? event.data.error
        : event.type === "run.interrupted"
          ? { code: "run_interrupted" as const, message: event.data.reason }
          : null,
  })),
  {
    type: "reportEnd" as const,
    params: ({ context }: { context: RunContext }): EndParams => ({
      sessionKey: context.sessionKey,
      runId: context.runId,
      status,
      text: context.text,
      ...(context.error ? { error: context.error } : {}),
    }),
  },
];

/**
 * An agent run: started → (model call) → completed | failed | interrupted. The model call is the
 * `callModel` effect, run once after `run.started` is durable; replay never calls the model.
 * `run.model_switched` (a fallback) only moves `model` on: the effect already running keeps going
 * with the next model, so the switch itself starts nothing.
 *
 * Tools: while running, `run.tool_call_requested` → `run.tool_started` → `run.tool_finished` (or
 * `run.tool_interrupted` when the run is interrupted mid-call) record each call in `toolCalls`.
 */
export const runMachine = setup({
  types: { context: {} as RunContext, events: {} as Ev, input: {} as { runId: string } },
  actions: {
    callModel: (_, _p: { runId: string; sessionKey: string; model: string; triggerMessageId: string }) => {},
    reportEnd: (_, _p: EndParams) => {},
  },
}).createMachine({
  id: "run",
  context: ({ input }) => ({
    runId: input?.runId ?? "",
    sessionKey: "",
    model: "",
    triggerMessageId: "",
    startedAt: 0,
    endedAt: null,
    status: "new",
    text: "",
    error: null,
    iteration: 0,
    toolCalls: [],
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "run.started": {
          target: "running",
          actions: [
            assign(({ event }) => ({
              sessionKey: event.data.sessionKey,
              model: event.data.model,
              triggerMessageId: event.data.triggerMessageId,
              startedAt: event.time,
              status: "running" as const,
            })),
            {
              type: "callModel",
              params: ({ context }) => ({
                runId: context.runId,
                sessionKey: context.sessionKey,
                model: context.model,
                triggerMessageId: context.triggerMessageId,
              }),
            },
          ],
        },
      },
    },
    running: {
      on: {
        "run.model_switched": { actions: assign(({ event }) => ({ model: event.data.to })) },
        // The tool story only moves data: the `callModel` effect that asked for the calls runs them,
        // each after its `run.tool_started` is durable; replay runs nothing.
        "run.tool_call_requested": {
          actions: assign(({ context, event }) => ({
            iteration: Math.max(context.iteration, event.data.iteration),
            toolCalls: [...context.toolCalls, { ...event.data, status: "requested" as const, isError: false }],
          })),
        },
        "run.tool_started": {
          actions: assign(({ context, event }) => ({ toolCalls: setCall(context.toolCalls, event.data.callId, { status: "started" }) })),
        },
        "run.tool_finished": {
          actions: assign(({ context, event }) => ({
            toolCalls: setCall(context.toolCalls, event.data.callId, { status: "finished", isError: event.data.isError }),
          })),
        },
        "run.tool_interrupted": {
          actions: assign(({ context, event }) => ({
            toolCalls: setCall(context.toolCalls, event.data.callId, { status: "interrupted", isError: true }),
          })),
        },
        "run.completed": { target: "ended", actions: endWith("completed") as never },
        "run.failed": { target: "ended", actions: endWith("failed") as never },
        "run.interrupted": { target: "ended", actions: endWith("interrupted") as never },
        "run.cancelled": { target: "ended", actions: endWith("cancelled") as never },
      },
    },
    ended: { type: "final" },
  },
});
