import * as Schema from "effect/Schema";
import type { WireError } from "./errors.ts";
import { MessageId, ModelId, RunId, SessionKey } from "./ids.ts";
import { MAX_MESSAGE_CHARS, PinSession, RenameSession, SessionExportFormat } from "./commands.ts";
import { AttachmentRefs } from "./attachments.ts";
import { Limit, ProjectionStatus, ReadWorkspaceFile, SandboxStatus } from "./queries.ts";
import { NodeId } from "./nodes.ts";
import { SessionMcp, SessionSandbox } from "./events/session.events.ts";
import { authMethodParams } from "./auth.ts";
import { ListCompactions, SearchMessages } from "./search.ts";
import { cronMethodParams } from "./cron.ts";
import { explorerMethodParams } from "./explorer.ts";
import { mcpMethodParams } from "./mcp.ts";
import { settingsMethodParams } from "./settings.ts";
import { hookMethodParams } from "./hooks.ts";
import { channelMethodParams } from "./channels.ts";
import { pushMethodParams } from "./push.ts";

/**
 * The WebSocket protocol (JSON text frames). Client → server: `req`. Server → client: `res` for
 * each `req`, and `event` for subscriptions. The first `req` must be `connect`.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 256 * 1024;

export const ReqFrame = Schema.Struct({
  type: Schema.Literal("req"),
  id: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64)),
  method: Schema.String.check(Schema.isMaxLength(64)),
  params: Schema.optionalKey(Schema.Unknown),
});
export type ReqFrame = typeof ReqFrame.Type;

export type ResFrame = { type: "res"; id: string; ok: true; payload: unknown } | { type: "res"; id: string; ok: false; error: WireError };

export type EventFrame = { type: "event"; event: string; payload: unknown };

export const ConnectParams = Schema.Struct({
  protocol: Schema.Number,
  client: Schema.Struct({
    name: Schema.String.check(Schema.isMaxLength(64)),
    version: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(32))),
  }),
  /** Non-local clients: an API key (`api_key`), or the gateway's CAIRN_AUTH_TOKEN (`token`); a browser's login cookie needs neither. */
  auth: Schema.optionalKey(
    Schema.Struct({
      token: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(1024))),
      api_key: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(1024))),
    }),
  ),
});

/** One gateway on the bus, as this one sees it. */
export const GatewayStatus = Schema.Struct({
  id: Schema.String,
  url: Schema.NullOr(Schema.String),
  /** The partitions it owns. */
  owned: Schema.Array(Schema.Number),
  /** When it started (epoch ms). */
  startedAt: Schema.Number,
  /** Milliseconds since its last heartbeat arrived (0: the gateway answering). */
  lastSeenMs: Schema.Number,
});

export const ClusterStatus = Schema.Struct({
  /** The gateway answering. */
  gatewayId: Schema.String,
  /** How many partitions the aggregates are spread over. */
  partitions: Schema.Number,
  owned: Schema.Array(Schema.Number),
  /** False while its lease is stale (NATS unreachable): it writes nothing until it is renewed. */
  writable: Schema.Boolean,
  gateways: Schema.Array(GatewayStatus),
  /** The NATS servers of the cluster (client URLs the server announced) and the one connected to. */
  servers: Schema.Struct({ connected: Schema.String, known: Schema.Array(Schema.String), cluster: Schema.NullOr(Schema.String) }),
  /** Replicas of the event log (1: one server; 3: survives losing one of three). */
  logReplicas: Schema.Number,
});
export type ClusterStatus = typeof ClusterStatus.Type;

export const StatusPayload = Schema.Struct({
  version: Schema.String,
  model: Schema.NullOr(ModelId),
  /** What to set when no model is configured; null when chat is ready. */
  modelHint: Schema.NullOr(Schema.String),
  nats: Schema.Struct({ version: Schema.String, connected: Schema.Boolean }),
  projections: ProjectionStatus,
  /** The exec tool's sandbox; null when exec is off. */
  sandbox: Schema.optionalKey(Schema.NullOr(SandboxStatus)),
  /** Ownership across gateways on one NATS (issue: many gateways): absent from older gateways. */
  cluster: Schema.optionalKey(ClusterStatus),
});
export type StatusPayload = typeof StatusPayload.Type;

/** Params of each method; the edge decodes with these before anything else happens. */
export const methodParams = {
  connect: ConnectParams,
  status: Schema.Struct({}),
  "sessions.list": Schema.Struct({ limit: Schema.optionalKey(Limit) }),
  "sessions.create": Schema.Struct({
    key: Schema.optionalKey(SessionKey),
    title: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200))),
    model: Schema.optionalKey(ModelId),
  }),
  "sessions.subscribe": Schema.Struct({}),
  "chat.history": Schema.Struct({ sessionKey: SessionKey, limit: Schema.optionalKey(Limit) }),
  "chat.send": Schema.Struct({
    sessionKey: SessionKey,
    /** May be empty when files are attached. */
    text: Schema.String.check(Schema.isMaxLength(MAX_MESSAGE_CHARS)),
    messageId: Schema.optionalKey(MessageId),
    /** Files uploaded first with `POST /api/attachments`, by the hash that answered. */
    attachments: Schema.optionalKey(AttachmentRefs),
  }).check(
    // Refused at the edge, before anything reaches the bus (the session refuses it too).
    Schema.makeFilter((p: { readonly text: string; readonly attachments?: readonly unknown[] }) =>
      p.text.trim() !== "" || (p.attachments?.length ?? 0) > 0 ? undefined : "nothing to send: give text or attach a file",
    ),
  ),
  /**
   * Live events of one session, new ones only unless asked to replay what the live stream still
   * holds: after `fromSeq` (the `seq` an earlier subscribe answered) or since `fromTime` (epoch ms;
   * the UI passes its active run's start). Replayed messages may repeat ones the client has: a
   * delta's `index` tells them apart.
   */
  "chat.subscribe": Schema.Struct({
    sessionKey: SessionKey,
    fromSeq: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    fromTime: Schema.optionalKey(Schema.Number),
  }),
  "chat.unsubscribe": Schema.Struct({ sessionKey: SessionKey }),
  /** The session's model (`/model <id>`, the picker); null returns to the default. */
  "sessions.setModel": Schema.Struct({ sessionKey: SessionKey, model: Schema.NullOr(ModelId) }),
  "models.list": Schema.Struct({ refresh: Schema.optionalKey(Schema.Boolean) }),
  "providers.list": Schema.Struct({ refresh: Schema.optionalKey(Schema.Boolean) }),
  /** Stores a provider key (provider_keys.json, mode 0600); the key never comes back. */
  "providers.setKey": Schema.Struct({
    provider: Schema.String.check(Schema.isMaxLength(32)),
    key: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(4096)),
  }),
  /** Replaces the set of models offered in the picker for one provider. */
  "models.enable": Schema.Struct({
    provider: Schema.String.check(Schema.isMaxLength(32)),
    models: Schema.Array(ModelId),
  }),
  /** Stops the session's running run; the model sees it as cancelled in the next turn. */
  "runs.cancel": Schema.Struct({ sessionKey: SessionKey, runId: Schema.optionalKey(RunId) }),
  /** The session's tool calls (cards), oldest first. */
  "chat.tools": Schema.Struct({ sessionKey: SessionKey, limit: Schema.optionalKey(Limit) }),
  /** A workspace file, e.g. the full output of a truncated exec result. */
  "workspace.read": ReadWorkspaceFile,
  "approvals.list": Schema.Struct({
    status: Schema.optionalKey(Schema.Literals(["pending", "granted", "denied", "expired"])),
    limit: Schema.optionalKey(Limit),
  }),
  /** Answers a pending approval; the first answer wins. `always` also allows the command from now on. */
  "approvals.decide": Schema.Struct({
    approvalId: Schema.String.check(Schema.isPattern(/^ap-[0-9a-f]{16}$/)),
    decision: Schema.Literals(["approve", "deny", "always"]),
    reason: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(2000))),
  }),
  /** Branches a session after `messageIndex` messages (all when omitted). */
  "sessions.fork": Schema.Struct({
    sessionKey: SessionKey,
    messageIndex: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    label: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200))),
  }),
  /** `/compact`: summarises the session's finished turns now (later prompts send the summary instead). */
  "sessions.compact": Schema.Struct({ sessionKey: SessionKey }),
  /** Deletes a session (its forks stay). */
  "sessions.delete": Schema.Struct({ sessionKey: SessionKey }),
  /** Gives the chat a title of the user's own (`session.renamed`). */
  "sessions.rename": Schema.Struct({ sessionKey: SessionKey, ...RenameSession.fields }),
  /** Pins the chat to the top of the list, or unpins it (`session.pinned`). */
  "sessions.pin": Schema.Struct({ sessionKey: SessionKey, ...PinSession.fields }),
  /**
   * The chat as a file: `markdown` (the transcript) or `jsonl` (its events and its runs' and
   * approvals', as `cairn sessions export` writes them; `cairn sessions import` reads them back).
   */
  "sessions.export": Schema.Struct({ sessionKey: SessionKey, format: SessionExportFormat }),
  /** The session's exec sandbox backend; null follows the configuration. */
  "sessions.setSandbox": Schema.Struct({
    sessionKey: SessionKey,
    sandbox: SessionSandbox,
  }),
  /** Nodes with their state, online presence and last telemetry (`status` filters, e.g. "pending"). */
  "nodes.list": Schema.Struct({ status: Schema.optionalKey(Schema.Literals(["pending", "approved", "rejected", "revoked"])) }),
  "nodes.approve": Schema.Struct({ requestId: Schema.String.check(Schema.isMaxLength(64)) }),
  "nodes.reject": Schema.Struct({ requestId: Schema.String.check(Schema.isMaxLength(64)) }),
  /** Disconnects the node at once; it cannot connect again until re-paired. */
  "nodes.revoke": Schema.Struct({ nodeId: NodeId }),
  /** Opens (for `minutes`, default 10) or closes the pairing window. */
  "nodes.pairing": Schema.Struct({
    open: Schema.Boolean,
    minutes: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 }))),
  }),
  "nodes.pairingStatus": Schema.Struct({}),
  /** Remote-exec doctor: the active route per session, nodes and their state, the window, misconfigurations. */
  "nodes.doctor": Schema.Struct({}),
  /** Routes the session's `exec` to a node; null is local. */
  "sessions.setNode": Schema.Struct({ sessionKey: SessionKey, node: Schema.NullOr(NodeId) }),
  /** Past chats: matching messages, best first, with highlighted excerpts. */
  "search.query": SearchMessages,
  "chat.compactions": ListCompactions,
  /** Which MCP servers' tools the session's runs are offered: all (null), none, or all but some. */
  "sessions.setMcp": Schema.Struct({ sessionKey: SessionKey, mcp: SessionMcp }),
  ...authMethodParams,
  ...cronMethodParams,
  ...explorerMethodParams,
  ...mcpMethodParams,
  ...settingsMethodParams,
  ...hookMethodParams,
  ...channelMethodParams,
  ...pushMethodParams,
} as const;
export type Method = keyof typeof methodParams;
export const isMethod = (m: string): m is Method => Object.hasOwn(methodParams, m);
