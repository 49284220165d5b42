import * as Schema from "effect/Schema";

/**
 * Stable error codes shared by the bus, the WebSocket protocol and the CLI. A code never changes
 * meaning once released; add new ones instead.
 */
export const ErrorCode = Schema.Literals([
  "bad_request", // params failed to decode
  "bad_frame", // a WebSocket frame that is not JSON or not a frame
  "frame_too_large",
  "unknown_method",
  "not_connected", // a request before the connect handshake
  "unsupported_protocol",
  "unauthorized",
  "forbidden", // authenticated, but the credential lacks the scope the method needs (named in the message)
  "setup_closed", // first-time setup was asked for while a password or passkey exists
  "forbidden_origin",
  "rate_limited",
  "too_many_subscriptions", // one connection asked for more live subscriptions than it may hold
  "session_not_found",
  "session_exists",
  "approval_not_found",
  "cron_job_not_found",
  "cron_job_exists", // `cron add` under a name a job already has (remove it, or `cron update`)
  "cron_rate_limited", // the agent's `cron` tool changed more jobs than `[cron] rate_limit_max` per window
  "not_found", // a named thing other than a session or approval (a workspace file) does not exist
  "pairing_closed", // a node asked to pair while the pairing window is closed (nothing was stored)
  "node_key_mismatch", // a known node id presented a different key (refused; an alert)
  "node_not_found",
  "node_revoked",
  "node_offline", // the node is not connected, or went away during a command
  "session_busy", // a run is already active on the session
  "model_not_configured",
  "model_unknown",
  "provider_error",
  "provider_auth",
  "provider_rate_limited",
  "provider_unreachable",
  "provider_overloaded", // 503/529 "overloaded": retryable, moves to the fallback chain
  "provider_stream_cut", // the reply stopped mid-stream; what arrived is kept and marked
  "context_too_long", // the conversation no longer fits the model's context window
  "model_load_failed", // a local model file could not be loaded (file, architecture, memory)
  "run_interrupted",
  "conflict", // a second writer on one aggregate
  "not_owner", // this gateway does not (or no longer) own the aggregate's partition; nothing was applied
  "log_full",
  "unavailable", // the bus or a service is not reachable
  "timeout",
  "mcp_error", // an MCP server answered a call with an error or a result that does not decode
  "disk_quota_exceeded", // the workspace is at its disk quota ([tools.exec.sandbox.resource_limits] disk)
  "hook_blocked", // a lifecycle hook (HOOK.md) refused the action; its reason is the message
  "hook_not_found",
  "hook_invalid", // a HOOK.md or [[hooks]] entry that does not parse or decode
  "attachment_too_large", // a file over the per-kind limit (MAX_IMAGE_BYTES / MAX_TEXT_FILE_BYTES)
  "attachment_unsupported", // neither an image format vision APIs take (png, jpeg, gif, webp) nor UTF-8 text
  "attachment_not_found", // a message names a hash the store does not hold (upload it first)
  "model_no_vision", // images were sent to a model the catalogue says cannot see them
  "attachments_gc_unsafe", // the log holds session events it cannot decode: which files they name is unknown, so none is removed
  "internal",
]);
export type ErrorCode = typeof ErrorCode.Type;

/** An error as it travels on the wire (bus replies, WS `res` frames, CLI `--json`). */
export const WireError = Schema.Struct({
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optionalKey(Schema.Unknown),
});
export type WireError = typeof WireError.Type;

/**
 * A local failure with a stable code. Thrown or returned inside one process; becomes a
 * `WireError` only at a boundary (`toWire`).
 */
export class CairnError extends Error {
  readonly _tag = "CairnError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = `CairnError(${code})`;
  }
  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const isCairnError = (u: unknown): u is CairnError => u instanceof CairnError;

/** Any thrown value as a wire error; unknown failures become `internal` without leaking stacks. */
export const toWireError = (u: unknown): WireError =>
  isCairnError(u) ? u.toWire() : { code: "internal", message: u instanceof Error ? u.message : String(u) };
