import * as Schema from "effect/Schema";

/** A sender of a channel, as Settings → Channels and `cairn channels pending` show them. */
export const ChannelSender = Schema.Struct({
  channel: Schema.String,
  userId: Schema.String,
  name: Schema.String,
  chatId: Schema.String,
  status: Schema.Literals(["pending", "approved", "denied"]),
  firstSeen: Schema.Number,
  decidedAt: Schema.NullOr(Schema.Number),
  decidedBy: Schema.NullOr(Schema.String),
  messages: Schema.Number,
  lastAt: Schema.NullOr(Schema.Number),
});
export type ChannelSender = typeof ChannelSender.Type;

export const ListChannelSenders = Schema.Struct({
  channel: Schema.optionalKey(Schema.String),
  status: Schema.optionalKey(Schema.Literals(["pending", "approved", "denied"])),
});
export const ListChannelSendersResult = Schema.Struct({ senders: Schema.Array(ChannelSender) });

/** A channel's loop on this gateway: polling, waiting for ownership (another gateway polls), backing off. */
export const ChannelStatus = Schema.Struct({
  channel: Schema.String,
  enabled: Schema.Boolean,
  /** Why it is not running, when enabled but it cannot (no token). */
  problem: Schema.NullOr(Schema.String),
  state: Schema.Literals(["stopped", "standby", "polling", "backing_off"]),
  lastError: Schema.NullOr(Schema.String),
  failures: Schema.Number,
  since: Schema.Number,
});
export type ChannelStatus = typeof ChannelStatus.Type;
export const ChannelStatusResult = Schema.Struct({ channels: Schema.Array(ChannelStatus) });
