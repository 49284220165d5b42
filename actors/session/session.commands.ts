import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import {
  CairnError,
  CreateSession,
  RunId,
  RunStatus,
  SendMessage,
  SessionCompacted,
  SessionMcp,
  SessionSandbox,
  SetSessionModel,
  NodeId,
  PinSession,
  RenameSession,
  WireError,
  type Attachment,
  type NewEvent,
} from "../../schemas/index.ts";
import { commandDecoder, type CommandOf, type AggregateSpec, type Decision, type DecideEnv } from "../runtime/index.ts";
import { CreateForkCommand } from "./session.fork.ts";
import { SESSION_MACHINE_VERSION, sessionMachine } from "./session.machine.ts";

/**
 * Recorded by the run host when a run reaches its end (internal; not exposed on the edge). No
 * text: the reply is the run's own (its end event), stored once.
 */
export const EndRunCommand = Schema.Struct({
  runId: RunId,
  status: RunStatus,
  error: Schema.optionalKey(WireError),
});

/** `cmd.session.<key>.set_sandbox`: the session's own `exec` backend; null follows the configuration. */
export const SetSessionSandbox = Schema.Struct({ sandbox: SessionSandbox });
/**
 * `cmd.session.<key>.set_node`: routes the session's `exec` to a node (null: local). The node is
 * checked against the approved nodes before this is decided (see session.node.route.ts).
 */
export const SetSessionNode = Schema.Struct({ node: Schema.NullOr(NodeId) });
/** `cmd.session.<key>.set_mcp`: which MCP servers' tools the session's runs are offered (null: all). */
export const SetSessionMcp = Schema.Struct({ mcp: SessionMcp });
/** `cmd.session.<key>.delete`. */
export const DeleteSession = Schema.Struct({});

// `fork` is not here: it reads the parent and creates another aggregate, so the system routes it
// (session.fork.route.ts) and the fork's own aggregate decides `create_fork`.
const schemas = {
  create: CreateSession,
  send: SendMessage,
  set_model: SetSessionModel,
  end_run: EndRunCommand,
  set_sandbox: SetSessionSandbox,
  set_node: SetSessionNode,
  set_mcp: SetSessionMcp,
  delete: DeleteSession,
  rename: RenameSession,
  pin: PinSession,
  create_fork: CreateForkCommand,
  record_compaction: SessionCompacted,
} as const;
export type SessionCommand = CommandOf<typeof schemas>;

type Snapshot = SnapshotFrom<typeof sessionMachine>;

/**
 * Checks which model a new run would use; throws `model_not_configured` / `model_unknown` so that
 * a message that cannot be answered is refused before anything is written.
 */
export type ModelCheck = (sessionModel: string | null) => string;

/** The id of the assistant message a run produces: derived, so every writer agrees on it. */
export const assistantMessageId = (runId: string) => `a-${runId}`.slice(0, 64);

/** Whether a model takes images (the catalogue, discovery); null: unknown, so images are sent and the provider answers. */
export type VisionCheck = (modelId: string) => boolean | null;

export const createSessionSpec = (
  checkModel: ModelCheck,
  visionOf: VisionCheck = () => null,
): AggregateSpec<typeof sessionMachine, SessionCommand> => ({
  kind: "session",
  machine: sessionMachine,
  machineVersion: SESSION_MACHINE_VERSION,
  input: (key) => ({ key }),
  decodeCommand: commandDecoder("sessions", schemas),
  decide: (snapshot, command, env) => decide(snapshot, command, env, checkModel, visionOf),
});

const decide = (s: Snapshot, c: SessionCommand, env: DecideEnv, checkModel: ModelCheck, visionOf: VisionCheck): Decision => {
  const ctx = s.context;
  const isNew = s.value === "new";
  if (s.value === "deleted") {
    // Deleting again is answered like the first time, so a retry after a lost reply succeeds.
    if (c.verb === "delete") return { events: [], reply: { sessionKey: ctx.key, deleted: true, alreadyDeleted: true } };
    // The key stays taken: its history is still in the log, and a new life under it would mix the two.
    throw new CairnError("session_not_found", `session '${ctx.key}' was deleted; start a new session under another key`);
  }
  switch (c.verb) {
    case "create": {
      if (!isNew) return { events: [], reply: { key: ctx.key, created: false } };
      return { events: [created(ctx.key, c.params.title ?? "", c.params.model ?? null)], reply: { key: ctx.key, created: true } };
    }
    case "set_model": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      const model = c.params.model;
      if (model === ctx.model) return { events: [], reply: { model, changed: false } };
      // A model that could not answer is refused now, not when the next message fails on it.
      if (model !== null) checkModel(model);
      return { events: [{ type: "session.model_set", data: { model } }], reply: { model, changed: true } };
    }
    case "send": {
      const messageId = c.params.messageId ?? `m-${env.newId()}`;
      const seen = ctx.recentUserMessages.find((m) => m.id === messageId);
      if (seen) return { events: [], reply: { messageId, runId: seen.runId, duplicate: true } };
      if (ctx.activeRun && ctx.activeRun.messageId === messageId) {
        return { events: [], reply: { messageId, runId: ctx.activeRun.runId, duplicate: true } };
      }
      if (isNew && !c.params.createIfMissing) {
        throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      }
      if (s.value === "running") {
        throw new CairnError("session_busy", `session '${ctx.key}' is still answering the previous message; wait for it to finish`);
      }
      // `model` switches the session first (`cairn chat --model`); a new session is created on it.
      const current = isNew ? null : ctx.model;
      const wanted = c.params.model ?? current;
      const modelId = checkModel(wanted);
      const attachments = c.params.attachments ?? [];
      if (!c.params.text.trim() && attachments.length === 0) throw new CairnError("bad_request", "nothing to send: the message is empty");
      refuseBlindImages(attachments, modelId, visionOf);
      const runId = `r-${env.newId()}`;
      const events: NewEvent[] = isNew ? [created(ctx.key, "", wanted)] : [];
      if (!isNew && wanted !== current) events.push({ type: "session.model_set", data: { model: wanted } });
      const access = c.params.access !== undefined ? { access: c.params.access } : {};
      const files = attachments.length > 0 ? { attachments } : {};
      events.push({ type: "session.user_message", data: { messageId, text: c.params.text, runId, ...access, ...files } });
      return {
        events,
        // The user message's event id is derived from its id, so a retried send is deduplicated by
        // the log itself even if this host lost track of the first attempt.
        eventIds: events.map((e) => (e.type === "session.user_message" ? `${ctx.key}-${messageId}` : env.newId())),
        reply: { messageId, runId, duplicate: false },
      };
    }
    case "rename": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      const title = c.params.title;
      if (title === ctx.title) return { events: [], reply: { sessionKey: ctx.key, title, changed: false } };
      return { events: [{ type: "session.renamed", data: { title } }], reply: { sessionKey: ctx.key, title, changed: true } };
    }
    case "pin": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      const pinned = c.params.pinned;
      if (pinned === ctx.pinned) return { events: [], reply: { sessionKey: ctx.key, pinned, changed: false } };
      return { events: [{ type: "session.pinned", data: { pinned } }], reply: { sessionKey: ctx.key, pinned, changed: true } };
    }
    case "set_sandbox": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      const sandbox = c.params.sandbox;
      if (sandbox === ctx.sandbox) return { events: [], reply: { sandbox, changed: false } };
      return { events: [{ type: "session.sandbox_set", data: { sandbox } }], reply: { sandbox, changed: true } };
    }
    case "set_node": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      const node = c.params.node;
      if (node === ctx.node) return { events: [], reply: { node, changed: false } };
      return { events: [{ type: "session.node_set", data: { node } }], reply: { node, changed: true } };
    }
    case "set_mcp": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'; create it first`);
      // "All on" is stored as null, so the toggle's two spellings of the default are one state.
      const m = c.params.mcp;
      const mcp = m === null || (m.enabled && m.off.length === 0) ? null : { enabled: m.enabled, off: [...new Set(m.off)].sort() };
      if (JSON.stringify(mcp) === JSON.stringify(ctx.mcp)) return { events: [], reply: { mcp, changed: false } };
      return { events: [{ type: "session.mcp_set", data: { mcp } }], reply: { mcp, changed: true } };
    }
    case "delete": {
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'`);
      // A run writes to its session until it ends; deleting under it would orphan the reply.
      if (s.value === "running") {
        throw new CairnError(
          "session_busy",
          `session '${ctx.key}' has a reply in progress (run ${ctx.activeRun?.runId}); stop the run or wait for it to finish, then delete`,
          { runId: ctx.activeRun?.runId },
        );
      }
      return { events: [{ type: "session.deleted", data: {} }], reply: { sessionKey: ctx.key, deleted: true, alreadyDeleted: false } };
    }
    case "create_fork": {
      const p = c.params;
      const result = { sessionKey: ctx.key, parentKey: p.parentKey, forkPoint: p.forkPoint };
      if (!isNew) {
        // The same fork requested again (a retry): answer with what exists, write nothing.
        if (ctx.fork?.parentKey === p.parentKey) return { events: [], reply: { ...result, forkPoint: ctx.fork.forkPoint } };
        throw new CairnError("session_exists", `session '${ctx.key}' already exists; a fork needs a new key`);
      }
      const data = { key: ctx.key, ...p };
      return { events: [{ type: "session.forked", data }], eventIds: [`fork-${ctx.key}`], reply: result };
    }
    case "record_compaction": {
      // Internal (the run's compaction, `/compact`): the summary was written by the caller's LLM call.
      if (isNew) throw new CairnError("session_not_found", `no session '${ctx.key}'`);
      const data = c.params;
      if (!s.can({ type: "session.compacted", data, seq: 0, time: env.now } as never)) return { events: [], reply: { recorded: false } };
      return {
        events: [{ type: "session.compacted", data }],
        eventIds: [`compact-${data.compactionId}`.slice(0, 200)],
        reply: { recorded: true },
      };
    }
    case "end_run": {
      if (ctx.activeRun?.runId !== c.params.runId) return { events: [], reply: { recorded: false } };
      const data = {
        runId: c.params.runId,
        status: c.params.status,
        messageId: assistantMessageId(c.params.runId),
        ...(c.params.error ? { error: c.params.error } : {}),
      };
      return { events: [{ type: "session.run_ended", data }], eventIds: [`end-${c.params.runId}`], reply: { recorded: true } };
    }
  }
};

const created = (key: string, title: string, model: string | null): NewEvent => ({
  type: "session.created",
  data: { key, title, model },
});

/**
 * Images for a model the catalogue says is blind are refused before anything is written: the user
 * learns it now and can switch models, instead of the model answering as if it had seen nothing.
 * (Earlier images in the history reach a blind model as a text note instead; see `run.prompt.ts`.)
 */
const refuseBlindImages = (attachments: readonly Attachment[], modelId: string, visionOf: VisionCheck) => {
  const images = attachments.filter((a) => a.kind === "image");
  if (images.length === 0 || visionOf(modelId) !== false) return;
  throw new CairnError(
    "model_no_vision",
    `${modelId} does not accept images; switch to a vision model (e.g. openai/gpt-4o-mini) or send ${images.map((a) => a.name).join(", ")} without it`,
    { modelId, images: images.map((a) => a.name) },
  );
};
