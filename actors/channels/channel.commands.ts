import * as Schema from "effect/Schema";
import {
  CairnError,
  ChannelAccess,
  ChannelSenderAccessSet,
  DEFAULT_CHANNEL_ACCESS,
  ChannelMessageSent,
  ChannelReplyStarted,
  ChannelSenderDecided,
  ChannelSessionStarted,
  ChannelUserId,
  type NewEvent,
} from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type CommandOf } from "../runtime/index.ts";
import { CHANNEL_MACHINE_VERSION, channelMachine } from "./channel.machine.ts";

const schemas = {
  /** One update from the channel, as the bot's loop received it. */
  receive: Schema.Struct({
    updateId: Schema.Number,
    userId: ChannelUserId,
    chatId: ChannelUserId,
    name: Schema.String.check(Schema.isMaxLength(200)),
    text: Schema.String.check(Schema.isMaxLength(16_384)),
    /** In `allowed_users` (config): approved on first sight. */
    allowed: Schema.Boolean,
    /** `[channels.telegram] access`: the level of a sender without one of their own. */
    defaultAccess: Schema.optionalKey(ChannelAccess),
  }),
  /** Lets the sender in; with `access`, at that level of their own. */
  approve_sender: Schema.Struct({ ...ChannelSenderDecided.fields, access: Schema.optionalKey(ChannelAccess) }),
  deny_sender: ChannelSenderDecided,
  set_access: ChannelSenderAccessSet,
  new_session: ChannelSessionStarted,
  reply_started: ChannelReplyStarted,
  record_sent: ChannelMessageSent,
  /** The replies still owed (the bot's loop asks at start, to finish what a crash cut off). */
  owed: Schema.Struct({}),
} as const;
export type ChannelCommand = CommandOf<typeof schemas>;

/** What `receive` answers: whether to act on the update, and in which session. */
export const ReceiveReply = Schema.Struct({
  duplicate: Schema.Boolean,
  verdict: Schema.Literals(["accepted", "pending", "refused"]),
  sessionKey: Schema.optionalKey(Schema.String),
  /** The sender's level for the run this message starts (accepted ones). */
  access: Schema.optionalKey(ChannelAccess),
  /** The sender wrote for the first time (and now waits for the owner). */
  firstTime: Schema.optionalKey(Schema.Boolean),
});
export type ReceiveReply = typeof ReceiveReply.Type;

/** What `owed` answers. */
export const OwedReply = Schema.Struct({
  owed: Schema.Array(
    Schema.Struct({
      updateId: Schema.Number,
      chatId: Schema.String,
      sessionKey: Schema.String,
      text: Schema.String,
      messageId: Schema.optionalKey(Schema.Number),
      access: Schema.optionalKey(ChannelAccess),
    }),
  ),
});

/** The session a chat starts in: one per chat, so chats never see each other's history. */
export const chatSessionKey = (channel: string, chatId: string): string => `${channel === "telegram" ? "tg" : channel}-${chatId}`;

export const channelSpec: AggregateSpec<typeof channelMachine, ChannelCommand> = {
  kind: "channel",
  machine: channelMachine,
  machineVersion: CHANNEL_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("channels", schemas),
  decide: (s, c, _env) => {
    const ctx = s.context;
    switch (c.verb) {
      case "receive": {
        const p = c.params;
        // Telegram redelivers what was not confirmed before a crash: the log already has it.
        if (p.updateId <= ctx.lastUpdateId) {
          const owed = ctx.awaiting[String(p.updateId)];
          const reply: ReceiveReply = owed
            ? { duplicate: true, verdict: "accepted", sessionKey: owed.sessionKey }
            : { duplicate: true, verdict: "refused" };
          return { events: [], reply };
        }
        const sender = ctx.senders[p.userId];
        const base = { updateId: p.updateId, userId: p.userId, chatId: p.chatId };
        const eventIds = (n: number) => Array.from({ length: n }, (_, i) => `upd-${p.updateId}-${i}`);
        if (sender?.status === "denied") {
          return {
            events: [{ type: "channel.update_received", data: { ...base, verdict: "refused" } }],
            eventIds: eventIds(1),
            reply: { duplicate: false, verdict: "refused" },
          };
        }
        if (sender?.status === "approved" || p.allowed) {
          const events: NewEvent[] = [];
          if (sender?.status !== "approved")
            events.push({
              type: "channel.sender_approved",
              data: { userId: p.userId, by: "config:allowed_users", ...(sender ? {} : { name: p.name, chatId: p.chatId }) },
            });
          const known = ctx.chats[p.chatId];
          const sessionKey = known ?? chatSessionKey("telegram", p.chatId);
          // The level is decided (and recorded) with the message: a change later does not reach a run already started.
          const access = sender?.access ?? p.defaultAccess ?? DEFAULT_CHANNEL_ACCESS;
          if (!known) events.push({ type: "channel.session_started", data: { chatId: p.chatId, sessionKey } });
          events.push({ type: "channel.update_received", data: { ...base, verdict: "accepted", text: p.text, sessionKey, access } });
          return { events, eventIds: eventIds(events.length), reply: { duplicate: false, verdict: "accepted", sessionKey, access } };
        }
        const events: NewEvent[] = sender
          ? []
          : [{ type: "channel.sender_pending", data: { userId: p.userId, chatId: p.chatId, name: p.name } }];
        events.push({ type: "channel.update_received", data: { ...base, verdict: "pending" } });
        return { events, eventIds: eventIds(events.length), reply: { duplicate: false, verdict: "pending", firstTime: !sender } };
      }
      case "approve_sender":
      case "deny_sender": {
        const status = c.verb === "approve_sender" ? "approved" : "denied";
        const { userId, by } = c.params;
        const access = c.verb === "approve_sender" ? c.params.access : undefined;
        const sender = ctx.senders[userId];
        if (!sender) throw new CairnError("not_found", `no sender ${userId} has written to this channel`);
        const events: NewEvent[] = [];
        if (sender.status !== status)
          events.push({ type: status === "approved" ? "channel.sender_approved" : "channel.sender_denied", data: { userId, by } });
        if (access !== undefined && access !== sender.access)
          events.push({ type: "channel.sender_access_set", data: { userId, access, by } });
        return {
          events,
          reply: { userId, status, changed: events.length > 0, chatId: sender.chatId, access: access ?? sender.access ?? null },
        };
      }
      case "set_access": {
        const { userId, access } = c.params;
        const sender = ctx.senders[userId];
        if (!sender) throw new CairnError("not_found", `no sender ${userId} has written to this channel`);
        if ((sender.access ?? null) === access) return { events: [], reply: { userId, access, changed: false } };
        return { events: [{ type: "channel.sender_access_set", data: c.params }], reply: { userId, access, changed: true } };
      }
      case "new_session":
        return { events: [{ type: "channel.session_started", data: c.params }], reply: { sessionKey: c.params.sessionKey } };
      case "reply_started":
        if (!ctx.awaiting[String(c.params.updateId)]) return { events: [], reply: { recorded: false } };
        return { events: [{ type: "channel.reply_started", data: c.params }], reply: { recorded: true } };
      case "record_sent":
        if (!ctx.awaiting[String(c.params.updateId)]) return { events: [], reply: { recorded: false } };
        return { events: [{ type: "channel.message_sent", data: c.params }], reply: { recorded: true } };
      case "owed":
        return { events: [], reply: { owed: Object.entries(ctx.awaiting).map(([updateId, o]) => ({ updateId: Number(updateId), ...o })) } };
    }
  },
};
