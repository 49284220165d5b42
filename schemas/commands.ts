import * as Schema from "effect/Schema";
import { Attachments } from "./attachments.ts";
import { ChannelAccess } from "./channels.ts";
import { MessageId, ModelId, RunId, SessionKey } from "./ids.ts";

/** Commands travel as NATS requests on `cmd.<kind>.<id>.<verb>`; each has params and a result. */

export const CreateSession = Schema.Struct({
  title: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200))),
  model: Schema.optionalKey(ModelId),
});
export const CreateSessionResult = Schema.Struct({ key: SessionKey, created: Schema.Boolean });

/** A chat's title as a person gives it (`sessions.rename`): trimmed, never empty. */
export const SessionTitle = Schema.Trim.check(Schema.isMinLength(1), Schema.isMaxLength(200));
/** `cmd.session.<key>.rename`. */
export const RenameSession = Schema.Struct({ title: SessionTitle });
/** `cmd.session.<key>.pin`: pinned chats lead the list. */
export const PinSession = Schema.Struct({ pinned: Schema.Boolean });

/** How a chat is exported: its transcript as markdown, or its events as JSON lines (re-importable). */
export const SessionExportFormat = Schema.Literals(["markdown", "jsonl"]);
export type SessionExportFormat = typeof SessionExportFormat.Type;
/** `admin.sessions.export`'s answer: the file's name, type and text. */
export const SessionExportFile = Schema.Struct({
  sessionKey: SessionKey,
  format: SessionExportFormat,
  filename: Schema.String,
  mimeType: Schema.String,
  text: Schema.String,
});
export type SessionExportFile = typeof SessionExportFile.Type;

export const MAX_MESSAGE_CHARS = 100_000;

export const SendMessage = Schema.Struct({
  /** May be empty only when files are attached (the session refuses an empty message otherwise). */
  text: Schema.String.check(Schema.isMaxLength(MAX_MESSAGE_CHARS)),
  /** Client-chosen id: resending the same id is a no-op, so retries never duplicate a message. */
  messageId: Schema.optionalKey(MessageId),
  /** Create the session when it does not exist yet (the CLI's `chat --session new-key`). */
  createIfMissing: Schema.optionalKey(Schema.Boolean),
  /** Switch the session to this model first (`cairn chat --model`). */
  model: Schema.optionalKey(ModelId),
  /**
   * A channel sender's level (Telegram): limits what the run this message starts may do. Absent:
   * the owner. Not a WS param: only the channels' loops, over the bus, set it.
   */
  access: Schema.optionalKey(ChannelAccess),
  /** Stored files (`bus/attachments`), resolved from the client's references by the edge or the CLI. */
  attachments: Schema.optionalKey(Attachments),
});

/** Sets the session's model; null returns it to the configured default. */
export const SetSessionModel = Schema.Struct({ model: Schema.NullOr(ModelId) });
export const SendMessageResult = Schema.Struct({
  messageId: MessageId,
  runId: RunId,
  /** True when this message id had already been accepted (an idempotent retry). */
  duplicate: Schema.Boolean,
});

export type CreateSession = typeof CreateSession.Type;
export type SendMessage = typeof SendMessage.Type;
export type SendMessageResult = typeof SendMessageResult.Type;
