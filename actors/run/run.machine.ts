import { assign, enqueueActions, setup } from "xstate";
import type { ChannelAccess, RunStatus, Usage, WireError } from "../../schemas/index.ts";
import { HYDRATED, type Hydrated, type MachineEvent } from "../runtime/index.ts";
import type { CallModelParams, CompactParams, EndParams, InterruptParams, RunToolParams } from "./run.effects.types.ts";
import { addUsage, joinReplies } from "./run.text.ts";

export type { CallModelParams, CompactParams, EndParams, InterruptParams, RunEffects, RunToolParams } from "./run.effects.types.ts";

/**
 * 5: channel permission levels: a run started by a channel sender keeps their level (`access`);
 * long conversations: `running.compacting` (a summary of older turns before a model call),
 * context gained `compaction`.
 * 4: hooks: a call records the hooks that changed it (`hooks`), the run the incoming message as a
 * hook rewrote it (`message`).
 * 3: the agent loop moved into the machine: `running` has the substates `calling` and `tools`,
 * context gained `startModel` and `usage`. Older snapshots are refused and replayed from the log.
 */
export const RUN_MACHINE_VERSION = 5;

/** One tool call of the run, as the log tells it. */
export interface RunToolCall {
  readonly callId: string;
  readonly name: string;
  readonly arguments: string;
  readonly iteration: number;
  readonly status: "requested" | "started" | "finished" | "interrupted";
  readonly isError: boolean;
  /** Hooks whose decision on this call is in the log (a resumed call does not ask them again). */
  readonly hooks?: readonly string[];
}

export interface RunContext {
  readonly runId: string;
  readonly sessionKey: string;
  /** The model the run started with: the head of its fallback chain. */
  readonly startModel: string;
  /** The model the run is on: the one it started with, or the last fallback it moved to. */
  readonly model: string;
  readonly triggerMessageId: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly status: "new" | "running" | RunStatus;
  /** While running: the reply as streamed up to the last tool step; at the end: the final text. */
  readonly text: string;
  /** Tokens of the model calls that asked for tools so far (the last call adds its own at the end). */
  readonly usage: Usage | null;
  readonly error: WireError | null;
  /** The last model call that asked for tools (0: none yet). */
  readonly iteration: number;
  readonly toolCalls: readonly RunToolCall[];
  /** The incoming message as a `BeforeAgentStart` hook rewrote it (absent: as the user sent it). */
  readonly message?: string;
  /** A channel sender's level (absent: the owner's run). */
  readonly access?: ChannelAccess;
  /** The latest compaction the run started: which, before which model call, and whether it is recorded. */
  readonly compaction?: { readonly id: string; readonly iteration: number; readonly done: boolean };
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
  | MachineEvent<"run.tool_interrupted">
  | MachineEvent<"run.hooked">
  | MachineEvent<"run.compaction_started">
  | MachineEvent<"run.compacted">
  | Hydrated;

type Args = { context: RunContext; event: Ev };

const setCall = (calls: readonly RunToolCall[], callId: string, patch: Partial<RunToolCall>): RunToolCall[] =>
  calls.map((c) => (c.callId === callId ? { ...c, ...patch } : c));
const statusOf = (context: RunContext, event: Ev) =>
  context.toolCalls.find((c) => "data" in event && "callId" in event.data && c.callId === event.data.callId)?.status;

const callModel = (next: (context: RunContext) => number) => ({
  type: "callModel" as const,
  params: ({ context }: Args): CallModelParams => ({
    runId: context.runId,
    sessionKey: context.sessionKey,
    startModel: context.startModel,
    model: context.model,
    triggerMessageId: context.triggerMessageId,
    startedAt: context.startedAt,
    iteration: next(context),
    text: context.text,
    usage: context.usage,
    callIds: context.toolCalls.map((c) => c.callId),
    ...(context.message !== undefined ? { message: context.message } : {}),
    ...(context.access !== undefined ? { access: context.access } : {}),
    ...(context.compaction ? { compactedFor: context.compaction.iteration } : {}),
  }),
});

const compact = (resume: boolean) => ({
  type: "compact" as const,
  params: ({ context }: Args): CompactParams => ({
    runId: context.runId,
    sessionKey: context.sessionKey,
    model: context.model,
    startedAt: context.startedAt,
    triggerMessageId: context.triggerMessageId,
    text: context.text,
    compactionId: context.compaction?.id ?? "",
    iteration: context.compaction?.iteration ?? 0,
    resume,
  }),
});

const runTool = (context: RunContext, call: RunToolCall) => ({
  type: "runTool" as const,
  params: {
    runId: context.runId,
    sessionKey: context.sessionKey,
    startedAt: context.startedAt,
    text: context.text,
    ...(context.access !== undefined ? { access: context.access } : {}),
    call: { callId: call.callId, name: call.name, arguments: call.arguments, ...(call.hooks ? { hooks: call.hooks } : {}) },
  },
});

const interruptOrphan = {
  type: "interruptOrphan" as const,
  params: ({ context }: Args): InterruptParams => ({ runId: context.runId, sessionKey: context.sessionKey, startedAt: context.startedAt }),
};

const reportEnd = {
  type: "reportEnd" as const,
  params: ({ context }: Args): EndParams => ({
    sessionKey: context.sessionKey,
    runId: context.runId,
    status: context.status as RunStatus,
    ...(context.error ? { error: context.error } : {}),
  }),
};

const endings = {
  "run.completed": "completed",
  "run.failed": "failed",
  "run.interrupted": "interrupted",
  "run.cancelled": "cancelled",
} as const;
const ended = { target: "#run.ended", actions: ["recordEnd", reportEnd] } as const;

/**
 * The agent run, and with it the agent loop:
 *
 *   new ─started→ running.calling ─tool_call_requested→ running.tools ─last call finished→ running.calling …
 *                       └────────── completed | failed | interrupted | cancelled ──────────→ ended
 *
 * Entering `calling` asks for one model response (`callModel`); its effect ends the run or records
 * the tool calls it asked for, each of which is gated and run by its own `runTool` effect; the last
 * result moves the run back to `calling` for the next response. Every step is an event, so the
 * state is the log's, and `cairn.hydrated` (a host taking the run over after a crash) re-arms what
 * the state needs: requested calls run; a run caught streaming or with a call mid-way is ended as
 * interrupted (a model answer or a command is never repeated); an ended run reports to its session.
 * Guards hold the rules commands are checked against (`snapshot.can`).
 */
export const runMachine = setup({
  types: { context: {} as RunContext, events: {} as Ev, input: {} as { runId: string } },
  guards: {
    switchesCurrentModel: ({ context, event }: Args) => event.type === "run.model_switched" && context.model === event.data.from,
    newCall: ({ context, event }: Args) => statusOf(context, event) === undefined,
    callRequested: ({ context, event }: Args) => statusOf(context, event) === "requested",
    callOpen: ({ context, event }: Args) => statusOf(context, event) === "requested" || statusOf(context, event) === "started",
    callStarted: ({ context, event }: Args) => statusOf(context, event) === "started",
    /** The result that completes the tool step: every other call of the last response has finished. */
    lastOpenCall: ({ context, event }: Args) =>
      event.type === "run.tool_finished" &&
      context.toolCalls.every((c) => c.iteration !== context.iteration || c.callId === event.data.callId || c.status === "finished"),
    anyCallStarted: ({ context }: Args) => context.toolCalls.some((c) => c.status === "started"),
    /** A hook's decision on a call applies only while the call waits to start; one on the run, any time it runs. */
    hookApplies: ({ context, event }: Args) =>
      event.type === "run.hooked" && (event.data.callId === undefined || statusOf(context, event) === "requested"),
    /** One compaction per model call: a prompt still too long after it goes to the model as it is. */
    mayCompact: ({ context, event }: Args) =>
      event.type === "run.compaction_started" &&
      event.data.iteration === context.iteration + 1 &&
      context.compaction?.iteration !== event.data.iteration,
    thisCompaction: ({ context, event }: Args) => event.type === "run.compacted" && context.compaction?.id === event.data.compactionId,
  },
  actions: {
    recordCall: assign(({ context, event }) => {
      if (event.type !== "run.tool_call_requested") return {};
      const reply = event.data.reply;
      return {
        iteration: Math.max(context.iteration, event.data.iteration),
        toolCalls: [...context.toolCalls, { ...event.data, status: "requested" as const, isError: false }],
        // The first call of a response carries what the response said: the reply grows by it.
        ...(reply ? { text: joinReplies(context.text, reply.text), usage: addUsage(context.usage, reply.usage) } : {}),
      };
    }),
    recordHook: assign(({ context, event }) => {
      if (event.type !== "run.hooked") return {};
      const d = event.data;
      if (d.callId !== undefined) {
        const call = context.toolCalls.find((c) => c.callId === d.callId);
        return {
          toolCalls: setCall(context.toolCalls, d.callId, {
            hooks: [...(call?.hooks ?? []), d.hook],
            ...(d.action === "modify" && d.value !== undefined ? { arguments: d.value } : {}),
          }),
        };
      }
      return d.event === "BeforeAgentStart" && d.action === "modify" && d.value !== undefined ? { message: d.value } : {};
    }),
    recordResult: assign(({ context, event }) => {
      if (event.type !== "run.tool_finished") return {};
      return { toolCalls: setCall(context.toolCalls, event.data.callId, { status: "finished", isError: event.data.isError }) };
    }),
    recordEnd: assign(({ event }) => {
      if (
        event.type !== "run.completed" &&
        event.type !== "run.failed" &&
        event.type !== "run.interrupted" &&
        event.type !== "run.cancelled"
      )
        return {};
      const d = event.data;
      return {
        status: endings[event.type],
        endedAt: event.time,
        text: "text" in d ? d.text : d.partialText,
        error: "error" in d ? d.error : "reason" in d ? { code: "run_interrupted" as const, message: d.reason } : null,
      };
    }),
    /** After `recordCall`: the call just recorded is gated and run. */
    runRequested: enqueueActions(({ context, event, enqueue }) => {
      const call = context.toolCalls.find((c) => event.type === "run.tool_call_requested" && c.callId === event.data.callId);
      if (call) enqueue(runTool(context, call) as never);
    }),
    callModel: (_, _p: CallModelParams) => {},
    compact: (_, _p: CompactParams) => {},
    runTool: (_, _p: RunToolParams) => {},
    interruptOrphan: (_, _p: InterruptParams) => {},
    reportEnd: (_, _p: EndParams) => {},
  },
}).createMachine({
  id: "run",
  context: ({ input }) => ({
    runId: input?.runId ?? "",
    sessionKey: "",
    startModel: "",
    model: "",
    triggerMessageId: "",
    startedAt: 0,
    endedAt: null,
    status: "new",
    text: "",
    usage: null,
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
              startModel: event.data.model,
              model: event.data.model,
              triggerMessageId: event.data.triggerMessageId,
              startedAt: event.time,
              status: "running" as const,
              ...(event.data.access !== undefined ? { access: event.data.access } : {}),
            })),
            callModel(() => 1),
          ],
        },
      },
    },
    running: {
      initial: "calling",
      on: {
        "run.model_switched": { guard: "switchesCurrentModel", actions: assign(({ event }) => ({ model: event.data.to })) },
        "run.hooked": { guard: "hookApplies", actions: "recordHook" },
        "run.tool_interrupted": {
          guard: "callStarted",
          actions: assign(({ context, event }) => ({
            toolCalls: setCall(context.toolCalls, event.data.callId, { status: "interrupted", isError: true }),
          })),
        },
        "run.completed": ended,
        "run.failed": ended,
        "run.interrupted": ended,
        "run.cancelled": ended,
      },
      states: {
        calling: {
          on: {
            "run.tool_call_requested": { guard: "newCall", target: "tools", actions: ["recordCall", "runRequested"] },
            // The prompt would not fit the window: older turns are summarised first.
            "run.compaction_started": {
              guard: "mayCompact",
              target: "compacting",
              actions: [
                assign(({ event }) =>
                  event.type === "run.compaction_started"
                    ? { compaction: { id: event.data.compactionId, iteration: event.data.iteration, done: false } }
                    : {},
                ),
                compact(false),
              ],
            },
            // Nothing streams a response after a crash: what it had said is kept, the call is not repeated.
            [HYDRATED]: { actions: interruptOrphan },
          },
        },
        compacting: {
          on: {
            "run.compacted": {
              guard: "thisCompaction",
              target: "calling",
              actions: [
                assign(({ context }) => (context.compaction ? { compaction: { ...context.compaction, done: true } } : {})),
                callModel((c) => c.iteration + 1),
              ],
            },
            // A summary already recorded on the session is used as it is; one cut off mid-call is
            // never asked for twice (the run ends interrupted; the next message compacts afresh).
            [HYDRATED]: { actions: compact(true) },
          },
        },
        tools: {
          on: {
            // The other calls of the same response (one event each, appended together).
            "run.tool_call_requested": { guard: "newCall", actions: ["recordCall", "runRequested"] },
            "run.tool_started": {
              guard: "callRequested",
              actions: assign(({ context, event }) => ({
                toolCalls: setCall(context.toolCalls, event.data.callId, { status: "started" }),
              })),
            },
            "run.tool_finished": [
              { guard: "lastOpenCall", target: "calling", actions: ["recordResult", callModel((c) => c.iteration + 1)] },
              { guard: "callOpen", actions: "recordResult" },
            ],
            [HYDRATED]: [
              // A call cut off mid-way may have done its work: the run ends, the call is never re-run.
              { guard: "anyCallStarted", actions: interruptOrphan },
              // Nothing had started (typically waiting for an approval): the calls go on.
              {
                actions: enqueueActions(({ context, enqueue }) => {
                  for (const c of context.toolCalls) if (c.status === "requested") enqueue(runTool(context, c));
                }),
              },
            ],
          },
        },
      },
    },
    ended: {
      on: { [HYDRATED]: { actions: reportEnd } },
    },
  },
});
