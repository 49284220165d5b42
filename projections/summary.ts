import type { AnyStoredEvent } from "../schemas/index.ts";
import { summarizeCronEvent } from "./cron.summary.ts";

/** One line of at most `n` characters: whitespace runs collapsed, an ellipsis where it was cut. */
export const clip = (s: string, n = 60) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

const usage = (u: { inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number }) =>
  `in=${u.inputTokens} out=${u.outputTokens}` +
  (u.cacheReadTokens ? ` cache_read=${u.cacheReadTokens}` : "") +
  (u.cacheWriteTokens ? ` cache_write=${u.cacheWriteTokens}` : "");

/** A one-line human summary of an event (audit table, `cairn events tail`). */
export const summarizeEvent = (e: AnyStoredEvent): string => {
  switch (e.type) {
    case "session.created":
      return `created${e.data.title ? ` "${clip(e.data.title, 40)}"` : ""}${e.data.model ? ` model=${e.data.model}` : ""}`;
    case "session.user_message":
      return `user: ${clip(e.data.text)} (run ${e.data.runId})`;
    case "session.run_ended":
      return `run ${e.data.runId} ${e.data.status}${e.data.error ? ` [${e.data.error.code}]` : ""}`;
    case "session.renamed":
      return `renamed "${clip(e.data.title, 40)}"`;
    case "session.pinned":
      return e.data.pinned ? "pinned" : "unpinned";
    case "session.model_set":
      return `model set to ${e.data.model ?? "the default"}`;
    case "session.forked":
      return `forked from ${e.data.parentKey} at message ${e.data.forkPoint} (${e.data.messages.length} copied)${e.data.label ? ` label "${clip(e.data.label, 40)}"` : ""}`;
    case "session.deleted":
      return "deleted";
    case "session.sandbox_set":
      return `sandbox set to ${e.data.sandbox ?? "the configured default"}`;
    case "session.node_set":
      return e.data.node ? `exec routed to node ${e.data.node}` : "exec routed back to local";
    case "session.mcp_set":
      return e.data.mcp === null ? "MCP: every server on" : e.data.mcp.enabled ? `MCP: on except ${e.data.mcp.off.join(", ")}` : "MCP: off";
    case "session.compacted":
      return `compacted ${e.data.messages} message(s) (${e.data.tokensBefore} -> ${e.data.tokensAfter} tokens est.) by ${e.data.model}${e.data.runId ? ` for run ${e.data.runId}` : ""}`;
    case "settings.command_allowed":
      return `always allowed by ${e.data.by}: ${clip(e.data.command, 80)}`;
    case "settings.mcp_server_added":
      return `MCP server ${e.data.server.name} added by ${e.data.by}: ${clip(e.data.server.url ?? [e.data.server.command, ...(e.data.server.args ?? [])].join(" "), 80)}`;
    case "settings.mcp_server_removed":
      return `MCP server ${e.data.name} removed by ${e.data.by}`;
    case "settings.command_revoked":
      return `always-allow revoked by ${e.data.by}: ${clip(e.data.command, 80)}`;
    case "settings.changed":
      return `${e.data.key} ${e.data.value === null ? "reset to cairn.toml" : `set to ${clip(JSON.stringify(e.data.value), 80)}`} by ${e.data.by}`;
    case "settings.log_archived":
      return `log archived: events ${e.data.firstSeq}..${e.data.lastSeq} (${e.data.archived}) to ${e.data.file ?? "an earlier archive"}, ${e.data.removed} removed, by ${e.data.by}`;
    case "settings.push_subscribed":
      return `device ${e.data.device} (${clip(e.data.label, 40)}) gets notifications (by ${e.data.by})`;
    case "settings.push_unsubscribed":
      return `device ${e.data.device} gets no more notifications (by ${e.data.by})`;
    case "settings.models_enabled":
      return `${e.data.provider}: ${e.data.models.length} model(s) enabled`;
    case "run.model_switched":
      return `switched ${e.data.from} -> ${e.data.to} after [${e.data.error.code}]`;
    case "run.started":
      return `started model=${e.data.model} session=${e.data.sessionKey}`;
    case "run.completed":
      return `completed ${e.data.text.length} chars${e.data.usage ? ` tokens ${usage(e.data.usage)}` : ""} finish=${e.data.finishReason}`;
    case "run.failed":
      return `failed [${e.data.error.code}] ${clip(e.data.error.message)}`;
    case "run.cancelled":
      return `cancelled by ${e.data.by} (${e.data.partialText.length} chars kept)`;
    case "run.interrupted":
      return `interrupted: ${clip(e.data.reason)} (${e.data.partialText.length} chars kept)`;
    case "run.tool_call_requested":
      return `tool call ${e.data.callId} requested: ${e.data.name} ${clip(e.data.arguments, 50)} (iteration ${e.data.iteration})`;
    case "run.compaction_started":
      return `compacting before model call ${e.data.iteration}: ~${e.data.tokens} tokens over a window of ${e.data.contextWindow}`;
    case "run.compacted":
      return `compacted (${e.data.compactionId}), model call goes on`;
    case "run.tool_started":
      return `tool call ${e.data.callId} started`;
    case "run.tool_finished":
      return `tool call ${e.data.callId} ${e.data.isError ? "failed" : "finished"} in ${e.data.durationMs} ms: ${clip(e.data.output, 50) || "(no output)"}${e.data.truncated ? " [truncated]" : ""}`;
    case "approval.requested":
      return `approval for ${e.data.tool} in run ${e.data.runId} (call ${e.data.callId}) requested: ${clip(e.data.command, 50)} — ${e.data.reason}`;
    case "approval.granted":
      return `granted by ${e.data.by}${e.data.always ? " (always)" : ""}`;
    case "approval.denied":
      return `denied by ${e.data.by}${e.data.reason ? `: ${clip(e.data.reason)}` : ""}`;
    case "approval.expired":
      return "expired without an answer";
    case "state.value_set":
      return `state ${e.data.namespace}/${e.data.key} set (${e.data.value.length} chars): ${clip(e.data.value, 40)}`;
    case "state.value_deleted":
      return `state ${e.data.namespace}/${e.data.key} deleted`;
    case "run.tool_interrupted":
      return `tool call ${e.data.callId} interrupted, not re-run: ${clip(e.data.reason)}`;
    case "run.hooked": {
      const what = e.data.callId
        ? `tool call ${e.data.callId}`
        : e.data.event === "BeforeAgentStart"
          ? "the incoming message"
          : "the reply";
      return e.data.action === "block"
        ? `hook ${e.data.hook} blocked ${what} (${e.data.event}): ${clip(e.data.reason ?? "")}`
        : `hook ${e.data.hook} modified ${what} (${e.data.event})${e.data.changed?.length ? `: ${e.data.changed.join(", ")}` : ""}`;
    }
    case "node.pairing_requested":
      return `pairing requested (${e.data.requestId}) by "${clip(e.data.name, 40)}" ${e.data.fingerprint}${e.data.address ? ` from ${e.data.address}` : ""}`;
    case "node.approved":
      return `approved by ${e.data.by} (${e.data.requestId})`;
    case "node.rejected":
      return `rejected by ${e.data.by} (${e.data.requestId})`;
    case "node.revoked":
      return `revoked by ${e.data.by}`;
    case "node.key_mismatch":
      return `ALERT: refused another key ${e.data.fingerprint}${e.data.address ? ` from ${e.data.address}` : ""}`;
    case "pairing.opened":
      return `pairing window opened by ${e.data.by} until ${new Date(e.data.until).toISOString()}`;
    case "pairing.closed":
      return e.data.reason === "expired" ? "pairing window closed (time is up)" : `pairing window closed by ${e.data.by}`;
    case "auth.password_set":
      return `password set by ${e.data.by}`;
    case "auth.passkey_registered":
      return `passkey "${clip(e.data.name, 40)}" registered by ${e.data.by}`;
    case "auth.passkey_removed":
      return `passkey ${clip(e.data.id, 16)} removed by ${e.data.by}`;
    case "auth.key_created":
      return `API key "${clip(e.data.label, 40)}" (${e.data.prefix}…) created by ${e.data.by}, scopes ${e.data.scopes.join(",")}`;
    case "auth.key_revoked":
      return `API key ${e.data.id} revoked by ${e.data.by}`;
    case "auth.login_succeeded":
      return `login by ${e.data.method} from ${e.data.address || "?"} (session ${e.data.sessionId})`;
    case "auth.login_failed":
      return `login by ${e.data.method} failed from ${e.data.address || "?"}: ${e.data.reason}`;
    case "auth.session_revoked":
      return `login session ${e.data.sessionId} ended by ${e.data.by}`;
    case "auth.sessions_revoked_all":
      return `every login session ended by ${e.data.by}`;
    case "channel.update_received":
      return e.data.verdict === "accepted"
        ? `message from ${e.data.userId} in chat ${e.data.chatId}${e.data.access ? ` (${e.data.access})` : ""}: ${clip(e.data.text ?? "", 60)}`
        : `message from ${e.data.userId} ${e.data.verdict === "pending" ? "held: sender not approved yet" : "refused: sender denied"}`;
    case "channel.sender_pending":
      return `new sender ${e.data.userId} (${clip(e.data.name, 40)}) waits for approval`;
    case "channel.sender_approved":
      return `sender ${e.data.userId} approved by ${e.data.by}`;
    case "channel.sender_denied":
      return `sender ${e.data.userId} denied by ${e.data.by}`;
    case "channel.sender_access_set":
      return `sender ${e.data.userId} ${e.data.access === null ? "back to the channel's level" : `has ${e.data.access} access`} (by ${e.data.by})`;
    case "channel.session_started":
      return `chat ${e.data.chatId} talks in session ${e.data.sessionKey} now`;
    case "channel.reply_started":
      return `reply to update ${e.data.updateId} started in message ${e.data.messageId} of chat ${e.data.chatId}`;
    case "channel.message_sent":
      return `reply of run ${e.data.runId} sent to chat ${e.data.chatId} (${e.data.chars} chars, ${e.data.messageIds.length} message(s))`;
    default:
      return summarizeCronEvent(e);
  }
};
