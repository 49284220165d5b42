import * as Schema from "effect/Schema";

/**
 * What a channel's sender may have the agent do in the runs their messages start (the seed's
 * per-channel permissions). `read-only`: the agent answers and may only use tools that change
 * nothing (reading files, searching, memory lookups); every other call is refused. `execute`: every
 * tool, and each dangerous call asks a person — the owner's "approval_mode = never" and "always
 * allow" do not waive it for them. `admin`: as the owner (the owner's approval policy, and bot
 * commands that change settings, such as `/model`).
 */
export const ChannelAccess = Schema.Literals(["read-only", "execute", "admin"]);
export type ChannelAccess = typeof ChannelAccess.Type;
/** The level of a sender approved with no level of their own (`[channels.telegram] access`). */
export const DEFAULT_CHANNEL_ACCESS: ChannelAccess = "execute";

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
  /** The sender's own level; null: the channel's default (`[channels.telegram] access`). */
  access: Schema.NullOr(ChannelAccess),
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
  /** `listening`: webhook mode, Telegram told where to post. */
  state: Schema.Literals(["stopped", "standby", "polling", "listening", "backing_off"]),
  lastError: Schema.NullOr(Schema.String),
  failures: Schema.Number,
  since: Schema.Number,
  /** How updates arrive: long polling, or Telegram posting to the gateway (`webhook_url`). */
  mode: Schema.Literals(["polling", "webhook"]),
  /** The bot as Telegram knows it (`getMe`), once the loop has reached Telegram. */
  bot: Schema.NullOr(Schema.Struct({ id: Schema.Number, username: Schema.String, name: Schema.String })),
  /** The level of senders approved without one of their own. */
  access: ChannelAccess,
});
export type ChannelStatus = typeof ChannelStatus.Type;
export const ChannelStatusResult = Schema.Struct({ channels: Schema.Array(ChannelStatus) });

const ChannelName = Schema.Literals(["telegram"]);
const UserRef = { channel: ChannelName, userId: Schema.String.check(Schema.isPattern(/^-?[0-9]{1,20}$/)) };

/** WS methods of Settings → Channels. */
export const channelMethodParams = {
  /** Each channel's loop on the answering gateway: state, bot, mode, default level. */
  "channels.status": Schema.Struct({}),
  /** The senders (pending first); `status` filters. */
  "channels.senders": ListChannelSenders,
  /** Lets a pending (or denied) sender in, optionally with their own level. */
  "channels.approve": Schema.Struct({ ...UserRef, access: Schema.optionalKey(ChannelAccess) }),
  /** Turns a pending sender away, or revokes an approved one. */
  "channels.deny": Schema.Struct(UserRef),
  /** A sender's own level; null returns them to the channel's default. */
  "channels.setAccess": Schema.Struct({ ...UserRef, access: Schema.NullOr(ChannelAccess) }),
} as const;

/** What the sender commands answer. */
export type ChannelSenderChange = {
  readonly userId: string;
  readonly status?: string;
  readonly access?: ChannelAccess | null;
  readonly changed: boolean;
};
