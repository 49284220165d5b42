import { assertEvent, assign, setup } from "xstate";
import type { ChannelAccess, RunStatus, SessionMcp, SessionSandbox, WireError } from "../../schemas/index.ts";
import { HYDRATED, type Hydrated, type MachineEvent } from "../runtime/index.ts";

/**
 * Bumped whenever the context shape or the meaning of a state changes; snapshots of another
 * version are replayed from the log. 4: the transcript left the context (`messages` became the
 * bounded `recentUserMessages`): a snapshot holding every message grew with the conversation and
 * could not be stored past NATS's max payload. The transcript is read from the log
 * (`session.transcript.ts`). 5: context gained `mcp`. 6: context gained `pinned`.
 */
export const SESSION_MACHINE_VERSION = 6;

/**
 * How many of the latest user message ids the session remembers, so a retried `send` (same
 * `messageId`, after a lost reply) is answered as a duplicate instead of starting a second run.
 * Bounded so the snapshot stays small; a retry is seconds old, not 64 messages.
 */
export const RECENT_USER_MESSAGES = 64;

/** A user message the session remembers: its id and the run it started (null: copied by a fork). */
export interface RecentUserMessage {
  readonly id: string;
  readonly runId: string | null;
}

export interface SessionContext {
  readonly key: string;
  readonly title: string;
  readonly model: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The latest user messages (at most `RECENT_USER_MESSAGES`), oldest first: a retried send is found here. */
  readonly recentUserMessages: readonly RecentUserMessage[];
  /** Messages in the transcript (copied, user and assistant): data for forks and lists, never the text. */
  readonly messageCount: number;
  readonly activeRun: { readonly runId: string; readonly messageId: string; readonly startedAt: number } | null;
  /** The session's own `exec` sandbox backend; null follows the configuration. */
  readonly sandbox: SessionSandbox;
  /** The node the session's `exec` runs on (an approved node's id when chosen); null is local. */
  readonly node: string | null;
  /** Which MCP servers' tools its runs are offered; null is every server. */
  readonly mcp: SessionMcp;
  /** Pinned to the top of the chat list. */
  readonly pinned: boolean;
  /** Set on a fork: the session it branched from and how many of its messages it copied. */
  readonly fork: { readonly parentKey: string; readonly forkPoint: number; readonly label: string | null } | null;
}

type Ev =
  | MachineEvent<"session.created">
  | MachineEvent<"session.user_message">
  | MachineEvent<"session.run_ended">
  | MachineEvent<"session.renamed">
  | MachineEvent<"session.model_set">
  | MachineEvent<"session.forked">
  | MachineEvent<"session.deleted">
  | MachineEvent<"session.sandbox_set">
  | MachineEvent<"session.node_set">
  | MachineEvent<"session.mcp_set">
  | MachineEvent<"session.compacted">
  | MachineEvent<"session.pinned">
  | Hydrated;

export type StartRunParams = {
  sessionKey: string;
  runId: string;
  messageId: string;
  model: string | null;
  /** A channel sender's level (the message's): what the run may do. */
  access?: ChannelAccess;
};
export type RunEndedParams = { sessionKey: string; runId: string; status: RunStatus; error?: WireError };
export type AdoptRunParams = { sessionKey: string; runId: string };

/** The session's effects, one per action placeholder of the machine: implemented by `sessionEffects`. */
export interface SessionEffects {
  readonly startRun: (p: StartRunParams) => Promise<void>;
  readonly announceRunEnded: (p: RunEndedParams) => void;
  readonly adoptRun: (p: AdoptRunParams) => Promise<void>;
}

const remember = (kept: readonly RecentUserMessage[], added: readonly RecentUserMessage[]): RecentUserMessage[] =>
  [...kept, ...added].slice(-RECENT_USER_MESSAGES);

// Settings that may change whether or not a reply is streaming: the reply in progress keeps its
// model and sandbox, the next message (or command) uses the new ones.
const settings = {
  "session.renamed": { actions: "rename" },
  "session.model_set": { actions: "setModel" },
  "session.sandbox_set": { actions: "setSandbox" },
  "session.node_set": { actions: "setNode" },
  "session.mcp_set": { actions: "setMcp" },
  "session.pinned": { actions: "setPinned" },
  // A summary of older turns changes only what later prompts send (the transcript reads it).
  "session.compacted": { actions: "touch" },
} as const;

/**
 * A session: its settings, whether a run is active and a bounded memory of its latest user
 * messages; the transcript itself is the log's (see `session.transcript.ts`). Pure: the actions named here are effects
 * the runtime performs after the event that returned them has been appended, never on replay.
 */
export const sessionMachine = setup({
  types: { context: {} as SessionContext, events: {} as Ev, input: {} as { key: string } },
  actions: {
    rename: assign(({ event }) => {
      assertEvent(event, "session.renamed");
      return { title: event.data.title };
    }),
    setModel: assign(({ event }) => {
      assertEvent(event, "session.model_set");
      return { model: event.data.model, updatedAt: event.time };
    }),
    setSandbox: assign(({ event }) => {
      assertEvent(event, "session.sandbox_set");
      return { sandbox: event.data.sandbox, updatedAt: event.time };
    }),
    setNode: assign(({ event }) => {
      assertEvent(event, "session.node_set");
      return { node: event.data.node, updatedAt: event.time };
    }),
    setMcp: assign(({ event }) => {
      assertEvent(event, "session.mcp_set");
      return { mcp: event.data.mcp, updatedAt: event.time };
    }),
    // Renaming or pinning is not activity: the chat keeps its place in time (its date group).
    setPinned: assign(({ event }) => {
      assertEvent(event, "session.pinned");
      return { pinned: event.data.pinned };
    }),
    touch: assign(({ context, event }) => ({ updatedAt: "time" in event ? event.time : context.updatedAt })),
    startRun: (_, _params: StartRunParams) => {},
    announceRunEnded: (_, _params: RunEndedParams) => {},
    adoptRun: (_, _params: AdoptRunParams) => {},
  },
}).createMachine({
  id: "session",
  context: ({ input }) => ({
    key: input?.key ?? "",
    title: "",
    model: null,
    createdAt: 0,
    updatedAt: 0,
    recentUserMessages: [],
    messageCount: 0,
    activeRun: null,
    sandbox: null,
    node: null,
    mcp: null,
    pinned: false,
    fork: null,
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "session.created": {
          target: "idle",
          actions: assign(({ event }) => ({
            title: event.data.title,
            model: event.data.model,
            createdAt: event.time,
            updatedAt: event.time,
          })),
        },
        "session.forked": {
          target: "idle",
          actions: assign(({ event }) => ({
            title: event.data.title,
            model: event.data.model,
            sandbox: event.data.sandbox,
            node: event.data.node ?? null,
            mcp: event.data.mcp ?? null,
            fork: { parentKey: event.data.parentKey, forkPoint: event.data.forkPoint, label: event.data.label },
            recentUserMessages: remember(
              [],
              event.data.messages.filter((m) => m.role === "user").map((m) => ({ id: m.id, runId: m.runId })),
            ),
            messageCount: event.data.messages.length,
            createdAt: event.time,
            updatedAt: event.time,
          })),
        },
      },
    },
    idle: {
      on: {
        "session.user_message": {
          target: "running",
          actions: [
            assign(({ context, event }) => ({
              updatedAt: event.time,
              recentUserMessages: remember(context.recentUserMessages, [{ id: event.data.messageId, runId: event.data.runId }]),
              messageCount: context.messageCount + 1,
              activeRun: { runId: event.data.runId, messageId: event.data.messageId, startedAt: event.time },
            })),
            {
              type: "startRun",
              params: ({ context, event }) => ({
                sessionKey: context.key,
                runId: event.data.runId,
                messageId: event.data.messageId,
                model: context.model,
                ...(event.data.access !== undefined ? { access: event.data.access } : {}),
              }),
            },
          ],
        },
        ...settings,
        // Only from idle: deleting a session whose reply is streaming is refused by the command.
        "session.deleted": { target: "deleted", actions: assign(({ event }) => ({ updatedAt: event.time })) },
      },
    },
    running: {
      on: {
        "session.run_ended": {
          target: "idle",
          actions: [
            assign(({ context, event }) => ({
              updatedAt: event.time,
              activeRun: null,
              messageCount: context.messageCount + 1,
            })),
            {
              type: "announceRunEnded",
              params: ({ context, event }) => ({
                sessionKey: context.key,
                runId: event.data.runId,
                status: event.data.status,
                ...(event.data.error ? { error: event.data.error } : {}),
              }),
            },
          ],
        },
        ...settings,
        // Taken over after a crash: the run is adopted (its machine re-arms what it was doing).
        [HYDRATED]: {
          actions: {
            type: "adoptRun",
            params: ({ context }) => ({ sessionKey: context.key, runId: context.activeRun?.runId ?? "" }),
          },
        },
      },
    },
    // Terminal: the key stays taken (its history is in the log) and every command is refused.
    deleted: {},
  },
});
