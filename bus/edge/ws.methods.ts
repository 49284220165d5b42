import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import {
  CairnError,
  CompactSessionResult,
  CreateSessionResult,
  GetHistoryResult,
  ListModelsResult,
  ListProvidersResult,
  ListSessionsResult,
  ListToolCallsResult,
  ListNodesResult,
  PairingWindow,
  ForkSessionResult,
  GetCronJobResult,
  ListCronJobsResult,
  ListCronRunsResult,
  ReadWorkspaceFileResult,
  ProviderStatus,
  SearchMessagesResult,
  ListCompactionsResult,
  SendMessageResult,
  SessionExportFile,
  StatusPayload,
  ChannelStatusResult,
  ListChannelSendersResult,
  ListEventsResult,
  EventChainResult,
  decodeLenient,
  type AttachmentRef,
  type methodParams,
  type Method,
} from "../../schemas/index.ts";
import type { AttachmentStore } from "../attachments/index.ts";
import type { Principal } from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import type { LiveSubscriptions } from "./ws.subscriptions.ts";
import type { TabPresence } from "./tab.presence.ts";

/**
 * WebSocket methods → NATS. The edge owns no domain state: every method is a command or query
 * request, or a live-stream subscription. Params arrive already decoded by the connection.
 */

type Params<M extends Method> = (typeof methodParams)[M]["Type"];

/** Discovery asks every provider's `/models` (and may wait on slow ones): more than a query's time. */
export const DISCOVERY_TIMEOUT_MS = 20_000;

/** An export reads the session's, its runs' and approvals' events from the log. */
const EXPORT_TIMEOUT_MS = 30_000;

/** MCP changes record a settings event and apply it (stop, start) before answering. */
const MCP_TIMEOUT_MS = 15_000;

/** A method's answer; `afterReply` runs once the `res` frame is sent (live delivery starts there). */
export interface MethodResult {
  payload: unknown;
  afterReply?: () => void;
}

export interface BusDeps {
  nc: NatsConnection;
  /** False while the client is disconnected from NATS: requests fail fast instead of timing out. */
  isBusUp: () => boolean;
  requestTimeoutMs: number;
  newSessionKey: () => string;
  /** This gateway's own status subject (several gateways on one NATS all answer the plain one). */
  statusSubject?: string;
  /** Uploaded files; `chat.send` resolves its attachment references here (absent: none accepted). */
  attachments?: AttachmentStore;
  /** Which tabs are visible (`push.presence`); absent, the method only answers. */
  presence?: TabPresence;
}

/** `sessions.at` folds a whole session's events (a long one has thousands) before answering. */
const TIME_TRAVEL_TIMEOUT_MS = 30_000;

/** Requests over NATS and decodes the reply; a malformed reply is the peer's bug (`internal`). */
/** `/compact` waits for a summary from the model. */
const COMPACT_TIMEOUT_MS = 180_000;

export const ask = async <S extends Schema.ConstraintDecoder<unknown>>(
  deps: BusDeps,
  schema: S,
  subject: string,
  params: unknown,
  timeoutMs = deps.requestTimeoutMs,
): Promise<S["Type"]> => {
  if (!deps.isBusUp()) throw new CairnError("unavailable", "the message bus is not connected; retry shortly");
  const raw = await request(deps.nc, subject, params, { timeoutMs });
  try {
    return decodeLenient(schema, raw, `reply on ${subject}`);
  } catch (e) {
    throw new CairnError("internal", (e as Error).message);
  }
};

export const fetchStatus = (deps: BusDeps, timeoutMs?: number) =>
  ask(deps, StatusPayload, deps.statusSubject ?? subjects.query("status", "get"), {}, timeoutMs);

const live = async (deps: BusDeps, start: () => Promise<{ seq: number; start: () => void }>): Promise<MethodResult> => {
  if (!deps.isBusUp()) throw new CairnError("unavailable", "the message bus is not connected; retry shortly");
  try {
    const s = await start();
    return { payload: { seq: s.seq }, afterReply: s.start };
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw new CairnError("unavailable", `live stream unavailable: ${(e as Error).message}`);
  }
};

/** Runs one method other than `connect`. */
export const callMethod = async (
  deps: BusDeps,
  subs: LiveSubscriptions,
  method: Exclude<Method, "connect">,
  params: unknown,
  principal: Principal,
): Promise<MethodResult> => {
  // Who acted, as the log records it (`web` for the owner on this machine, `session:…`, `key:…`).
  const by = principal.label;
  switch (method) {
    case "status":
      return { payload: await fetchStatus(deps) };
    case "sessions.list": {
      const p = params as Params<"sessions.list">;
      return { payload: await ask(deps, ListSessionsResult, subjects.query("sessions", "list"), p) };
    }
    case "sessions.create": {
      const { key, ...rest } = params as Params<"sessions.create">;
      const subject = subjects.command("session", key ?? deps.newSessionKey(), "create");
      return { payload: await ask(deps, CreateSessionResult, subject, rest) };
    }
    case "chat.history": {
      const p = params as Params<"chat.history">;
      return { payload: await ask(deps, GetHistoryResult, subjects.query("messages", "history"), p) };
    }
    case "chat.send": {
      // No createIfMissing from the UI: a typo in a session key must not create a session.
      const { sessionKey, attachments: refs, ...rest } = params as Params<"chat.send">;
      // The edge checks each file is stored and says what it is: the session trusts the bus, not the client.
      const attachments = refs?.length ? await resolveAttachments(deps, refs) : undefined;
      const command = attachments ? { ...rest, attachments } : rest;
      return { payload: await ask(deps, SendMessageResult, subjects.command("session", sessionKey, "send"), command) };
    }
    case "chat.subscribe": {
      const { sessionKey, ...from } = params as Params<"chat.subscribe">;
      return live(deps, () => subs.chat(sessionKey, from));
    }
    case "chat.unsubscribe": {
      const { sessionKey } = params as Params<"chat.unsubscribe">;
      return { payload: { unsubscribed: subs.unchat(sessionKey) } };
    }
    case "sessions.subscribe":
      return live(deps, () => subs.sessionList());
    case "events.list":
      return { payload: await ask(deps, ListEventsResult, subjects.query("events", "list"), params) };
    case "events.chain":
      return { payload: await ask(deps, EventChainResult, subjects.query("events", "chain"), params) };
    case "events.subscribe":
      return live(deps, () => subs.events());
    case "events.unsubscribe":
      return { payload: { unsubscribed: subs.unevents() } };
    case "sessions.at":
      return { payload: await ask(deps, Schema.Unknown, subjects.query("sessions", "at"), params, TIME_TRAVEL_TIMEOUT_MS) };
    case "sessions.setModel": {
      // The command's own reply is not needed: the session's model shows in its summary.
      const { sessionKey, model } = params as Params<"sessions.setModel">;
      await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "set_model"), { model });
      return { payload: { sessionKey, model } };
    }
    case "models.list": {
      const p = params as Params<"models.list">;
      const timeout = p.refresh ? DISCOVERY_TIMEOUT_MS : deps.requestTimeoutMs;
      return { payload: await ask(deps, ListModelsResult, subjects.query("models", "list"), p, timeout) };
    }
    case "providers.list": {
      const p = params as Params<"providers.list">;
      const timeout = p.refresh ? DISCOVERY_TIMEOUT_MS : deps.requestTimeoutMs;
      return { payload: await ask(deps, ListProvidersResult, subjects.query("providers", "list"), p, timeout) };
    }
    case "providers.setKey": {
      // Connect already required locality or the token. The key goes to the service only; the
      // answer is the provider's status, which carries at most its last 4 characters.
      const { provider, key } = params as Params<"providers.setKey">;
      const subject = subjects.admin("providers", "set_key");
      return { payload: await ask(deps, ProviderStatus, subject, { provider, key }, DISCOVERY_TIMEOUT_MS) };
    }
    case "models.enable": {
      const { provider, models } = params as Params<"models.enable">;
      await ask(deps, Schema.Unknown, subjects.admin("models", "enable"), { provider, models });
      return { payload: { provider, models } };
    }
    case "runs.cancel": {
      const { sessionKey, ...rest } = params as Params<"runs.cancel">;
      return { payload: await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "cancel"), rest) };
    }
    case "chat.tools": {
      const p = params as Params<"chat.tools">;
      return { payload: await ask(deps, ListToolCallsResult, subjects.query("tools", "list"), p) };
    }
    case "search.query": {
      const p = params as Params<"search.query">;
      return { payload: await ask(deps, SearchMessagesResult, subjects.query("search", "messages"), p) };
    }
    case "chat.compactions": {
      const p = params as Params<"chat.compactions">;
      return { payload: await ask(deps, ListCompactionsResult, subjects.query("search", "compactions"), p) };
    }
    case "workspace.read": {
      const p = params as Params<"workspace.read">;
      return { payload: await ask(deps, ReadWorkspaceFileResult, subjects.query("workspace", "read"), p) };
    }
    case "approvals.list": {
      const p = params as Params<"approvals.list">;
      return { payload: await ask(deps, Schema.Unknown, subjects.query("approvals", "list"), p) };
    }
    case "approvals.decide": {
      // The connection is local or authenticated; who answered is recorded as the web UI.
      const { approvalId, decision, reason } = params as Params<"approvals.decide">;
      const verb = decision === "deny" ? "deny" : "approve";
      const body = decision === "deny" ? { by, ...(reason ? { reason } : {}) } : { by, always: decision === "always" };
      return { payload: await ask(deps, Schema.Unknown, subjects.command("approval", approvalId, verb), body) };
    }
    case "sessions.fork": {
      // The fork gets a fresh key here, like `sessions.create`; the parent's command copies the messages.
      const { sessionKey, ...rest } = params as Params<"sessions.fork">;
      const subject = subjects.command("session", sessionKey, "fork");
      return { payload: await ask(deps, ForkSessionResult, subject, { ...rest, forkKey: deps.newSessionKey() }) };
    }
    case "sessions.compact": {
      // A summary is an LLM call: more time than a plain command.
      const { sessionKey } = params as Params<"sessions.compact">;
      return { payload: await ask(deps, CompactSessionResult, subjects.command("session", sessionKey, "compact"), {}, COMPACT_TIMEOUT_MS) };
    }
    case "sessions.delete": {
      const { sessionKey } = params as Params<"sessions.delete">;
      await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "delete"), {});
      return { payload: { sessionKey, deleted: true } };
    }
    case "sessions.setSandbox": {
      const { sessionKey, sandbox } = params as Params<"sessions.setSandbox">;
      await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "set_sandbox"), { sandbox });
      return { payload: { sessionKey, sandbox } };
    }
    case "nodes.list": {
      const p = params as Params<"nodes.list">;
      return { payload: await ask(deps, ListNodesResult, subjects.query("nodes", "list"), p) };
    }
    case "nodes.approve":
    case "nodes.reject": {
      const p = params as Params<"nodes.approve">;
      const verb = method === "nodes.approve" ? "approve" : "reject";
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("nodes", verb), { ...p, by }) };
    }
    case "nodes.revoke": {
      const p = params as Params<"nodes.revoke">;
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("nodes", "revoke"), { ...p, by }) };
    }
    case "nodes.pairing": {
      const p = params as Params<"nodes.pairing">;
      return { payload: await ask(deps, PairingWindow, subjects.admin("nodes", "pairing"), { ...p, by }) };
    }
    case "nodes.pairingStatus":
      return { payload: await ask(deps, PairingWindow, subjects.query("nodes", "pairing"), {}) };
    case "nodes.doctor":
      return { payload: await ask(deps, Schema.Unknown, subjects.query("nodes", "doctor"), {}) };
    case "sessions.setNode": {
      const { sessionKey, node } = params as Params<"sessions.setNode">;
      await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "set_node"), { node });
      return { payload: { sessionKey, node } };
    }
    case "auth.overview": {
      const current = principal.kind === "session" ? { currentSessionId: principal.id } : {};
      return { payload: await ask(deps, Schema.Unknown, subjects.query("auth", "overview"), current) };
    }
    case "auth.keys.create":
    case "auth.keys.revoke":
    case "auth.passkeys.remove":
    case "auth.sessions.revoke":
    case "auth.password.set": {
      // `auth.keys.create` → the auth actor's `keys_create` flow, which records who asked.
      const verb = method.slice("auth.".length).replace(".", "_");
      const extra = method === "auth.password.set" ? { local: principal.kind === "local" } : {};
      return {
        payload: await ask(deps, Schema.Unknown, subjects.command("auth", "global", verb), { ...(params as object), ...extra, by }),
      };
    }
    case "sessions.rename":
    case "sessions.pin": {
      const { sessionKey, ...change } = params as Params<"sessions.rename" | "sessions.pin">;
      const verb = method === "sessions.rename" ? "rename" : "pin";
      return { payload: await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, verb), change) };
    }
    case "sessions.export":
      // The gateway renders it from the log with `cairn sessions export`'s own code.
      return { payload: await ask(deps, SessionExportFile, subjects.admin("sessions", "export"), params, EXPORT_TIMEOUT_MS) };
    case "sessions.setMcp": {
      const { sessionKey, mcp } = params as Params<"sessions.setMcp">;
      await ask(deps, Schema.Unknown, subjects.command("session", sessionKey, "set_mcp"), { mcp });
      return { payload: { sessionKey, mcp } };
    }
    case "cron.list":
      return { payload: await ask(deps, ListCronJobsResult, subjects.query("cron", "list"), params) };
    case "cron.get":
      return { payload: await ask(deps, GetCronJobResult, subjects.query("cron", "get"), params) };
    case "cron.runs":
      return { payload: await ask(deps, ListCronRunsResult, subjects.query("cron", "runs"), params) };
    case "cron.add": {
      // The job's aggregate checks the schedule (expression, time zone, a time not in the past).
      const { name, ...settings } = params as Params<"cron.add">;
      return { payload: await ask(deps, Schema.Unknown, subjects.command("cron", name, "create"), settings) };
    }
    case "cron.update": {
      const { name, ...changes } = params as Params<"cron.update">;
      return { payload: await ask(deps, Schema.Unknown, subjects.command("cron", name, "update"), changes) };
    }
    case "cron.enable":
    case "cron.disable":
    case "cron.run":
    case "cron.remove": {
      const { name } = params as Params<"cron.enable">;
      const verb = method.slice("cron.".length);
      return { payload: await ask(deps, Schema.Unknown, subjects.command("cron", name, verb), {}) };
    }
    case "mcp.list":
    case "mcp.tools":
    case "mcp.restart":
    case "mcp.remove":
      // Health is a fact about the answering gateway's processes (each gateway runs its own servers).
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("mcp", method.slice("mcp.".length)), params, MCP_TIMEOUT_MS) };
    case "settings.get":
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("settings", "get"), {}) };
    case "settings.set":
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("settings", "set"), { ...(params as object), by }) };
    case "settings.revokeCommand":
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("settings", "revoke_command"), { ...(params as object), by }) };
    case "mcp.add":
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("mcp", "add"), { ...(params as object), by }, MCP_TIMEOUT_MS) };
    case "mcp.setEnabled":
      return {
        payload: await ask(deps, Schema.Unknown, subjects.admin("mcp", "set_enabled"), { ...(params as object), by }, MCP_TIMEOUT_MS),
      };
    case "hooks.list":
      // Breakers and last runs are facts about the answering gateway's hook processes.
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("hooks", "list"), {}) };
    case "channels.status":
      return { payload: await ask(deps, ChannelStatusResult, subjects.admin("channels", "status"), {}) };
    case "channels.senders":
      return { payload: await ask(deps, ListChannelSendersResult, subjects.query("channels", "senders"), params) };
    case "channels.approve":
    case "channels.deny": {
      const { channel, ...rest } = params as Params<"channels.approve">;
      const verb = method === "channels.approve" ? "approve_sender" : "deny_sender";
      return { payload: await ask(deps, Schema.Unknown, subjects.command("channel", channel, verb), { ...rest, by }) };
    }
    case "channels.setAccess": {
      const { channel, ...rest } = params as Params<"channels.setAccess">;
      return { payload: await ask(deps, Schema.Unknown, subjects.command("channel", channel, "set_access"), { ...rest, by }) };
    }
    case "push.key":
    case "push.devices":
      return { payload: await ask(deps, Schema.Unknown, subjects.admin("push", method.slice("push.".length)), {}) };
    case "push.subscribe":
      return {
        payload: await ask(deps, Schema.Unknown, subjects.command("settings", "global", "subscribe_push"), { ...(params as object), by }),
      };
    case "push.unsubscribe":
      return {
        payload: await ask(deps, Schema.Unknown, subjects.command("settings", "global", "unsubscribe_push"), { ...(params as object), by }),
      };
    case "push.presence": {
      // The connection's live subscriptions stand for the tab: one per connection, gone with it.
      const { visible } = params as Params<"push.presence">;
      deps.presence?.set(subs, visible);
      return { payload: { visible } };
    }
    default: {
      // A method added to the schema without a mapping here fails to compile.
      const missing: never = method;
      throw new CairnError("unknown_method", `method '${String(missing)}' is not available`);
    }
  }
};

/** `s-` + 10 base36 characters: token-safe, ~51 bits, from the given random source. */
export const makeSessionKey = (randomInt: (max: number) => number): string => {
  let s = "s-";
  for (let i = 0; i < 10; i++) s += randomInt(36).toString(36);
  return s;
};

const resolveAttachments = (deps: BusDeps, refs: readonly AttachmentRef[]) => {
  if (!deps.attachments) throw new CairnError("attachment_not_found", "this gateway stores no attachments");
  return deps.attachments.resolve(refs);
};
