import * as Schema from "effect/Schema";
import { ChannelAccess } from "../channels.ts";
import { SessionKey } from "../ids.ts";

/**
 * Events of a messaging channel (`evt.channel.telegram`): who may talk to the agent there, which
 * session each chat talks in, and every message in and out. The channel's token is never in an
 * event. An update's id is its idempotency key: a redelivered update is recognised from the log.
 */
/** Telegram's numeric ids, as strings (negative for groups). */
export const ChannelUserId = Schema.String.check(Schema.isPattern(/^-?[0-9]{1,20}$/));
const UserId = ChannelUserId;
const ChatId = ChannelUserId;
const By = Schema.String.check(Schema.isMaxLength(128));
const Name = Schema.String.check(Schema.isMaxLength(200));

export const ChannelUpdateReceived = Schema.Struct({
  updateId: Schema.Number,
  userId: UserId,
  chatId: ChatId,
  /** What became of it: sent to the chat's session, held (sender pending), or refused (sender denied). */
  verdict: Schema.Literals(["accepted", "pending", "refused"]),
  /** The text of an accepted message or command (held ones are not kept). */
  text: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(16_384))),
  sessionKey: Schema.optionalKey(SessionKey),
  /** The sender's level when it was accepted: what the run it starts may do (absent before levels existed). */
  access: Schema.optionalKey(ChannelAccess),
});
export const ChannelSenderPending = Schema.Struct({ userId: UserId, chatId: ChatId, name: Name });
export const ChannelSenderDecided = Schema.Struct({ userId: UserId, by: By });
/** Who they are, when let in on first sight (`allowed_users`): no pending entry knew them before. */
export const ChannelSenderApproved = Schema.Struct({
  ...ChannelSenderDecided.fields,
  name: Schema.optionalKey(Name),
  chatId: Schema.optionalKey(ChatId),
});
/** A sender's own level (null: back to the channel's default). */
export const ChannelSenderAccessSet = Schema.Struct({ userId: UserId, access: Schema.NullOr(ChannelAccess), by: By });
export const ChannelSessionStarted = Schema.Struct({ chatId: ChatId, sessionKey: SessionKey });
/** The message a reply streams into was sent: after a crash the reply finishes in it, not in a new one. */
export const ChannelReplyStarted = Schema.Struct({ updateId: Schema.Number, chatId: ChatId, messageId: Schema.Number });
/** A reply delivered: the run it came from and the channel's message ids (its text is the run's). */
export const ChannelMessageSent = Schema.Struct({
  /** The update this answers. */
  updateId: Schema.Number,
  chatId: ChatId,
  runId: Schema.String.check(Schema.isMaxLength(64)),
  messageIds: Schema.Array(Schema.Number),
  chars: Schema.Number,
});

export const channelEvents = {
  "channel.update_received": { version: 1, schema: ChannelUpdateReceived },
  "channel.sender_pending": { version: 1, schema: ChannelSenderPending },
  "channel.sender_approved": { version: 1, schema: ChannelSenderApproved },
  "channel.sender_denied": { version: 1, schema: ChannelSenderDecided },
  "channel.sender_access_set": { version: 1, schema: ChannelSenderAccessSet },
  "channel.session_started": { version: 1, schema: ChannelSessionStarted },
  "channel.reply_started": { version: 1, schema: ChannelReplyStarted },
  "channel.message_sent": { version: 1, schema: ChannelMessageSent },
} as const;
