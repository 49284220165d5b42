import { assign, setup } from "xstate";
import type { ChannelAccess } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/index.ts";
import { botCommandOf } from "./bot.commands.ts";

/** 2: a sender may have their own level (`access`). */
export const CHANNEL_MACHINE_VERSION = 2;

export interface SenderEntry {
  readonly status: "pending" | "approved" | "denied";
  readonly name: string;
  readonly chatId: string;
  readonly at: number;
  /** Their own level; absent: the channel's default (`[channels.telegram] access`). */
  readonly access?: ChannelAccess;
}

export interface ChannelContext {
  /** Every sender that ever wrote, by user id: the pending queue and the decisions. */
  readonly senders: Readonly<Record<string, SenderEntry>>;
  /** The session each chat talks in now (`/new` starts another). */
  readonly chats: Readonly<Record<string, string>>;
  /** The highest update id recorded: a redelivered update (after a crash) is not acted on twice. */
  readonly lastUpdateId: number;
  /**
   * Accepted messages not answered yet, by update id: after a crash their replies are still owed
   * (sending to the session again is idempotent on the message id). Answered ones leave.
   */
  readonly awaiting: Readonly<Record<string, AwaitingReply>>;
}

export interface AwaitingReply {
  readonly chatId: string;
  readonly sessionKey: string;
  readonly text: string;
  /** The sender's level recorded with the update: a reply finished after a crash keeps it. */
  readonly access?: ChannelAccess;
  /** The message the reply streams into, once sent. */
  readonly messageId?: number;
}

type Ev =
  | MachineEvent<"channel.update_received">
  | MachineEvent<"channel.sender_pending">
  | MachineEvent<"channel.sender_approved">
  | MachineEvent<"channel.sender_denied">
  | MachineEvent<"channel.sender_access_set">
  | MachineEvent<"channel.session_started">
  | MachineEvent<"channel.reply_started">
  | MachineEvent<"channel.message_sent">;

/** A sender's decision, keeping what the pending entry knew of them. */
const withDecision = (
  c: ChannelContext,
  d: { userId: string; name?: string; chatId?: string },
  status: "approved" | "denied",
  at: number,
): ChannelContext["senders"] => {
  const before = c.senders[d.userId];
  const access = before?.access !== undefined ? { access: before.access } : {};
  return {
    ...c.senders,
    [d.userId]: { name: before?.name ?? d.name ?? "", chatId: before?.chatId ?? d.chatId ?? "", status, at, ...access },
  };
};

/** A channel's facts from the log. No effects here: the bot's loop reads Telegram and sends commands. */
export const channelMachine = setup({ types: { context: {} as ChannelContext, events: {} as Ev } }).createMachine({
  id: "channel",
  context: { senders: {}, chats: {}, lastUpdateId: 0, awaiting: {} },
  initial: "active",
  states: {
    active: {
      on: {
        "channel.update_received": {
          actions: assign(({ context, event }) => {
            const d = event.data;
            const lastUpdateId = Math.max(context.lastUpdateId, d.updateId);
            // Commands to the bot (/new, /stop) are answered at once; only messages to the agent wait for a reply.
            if (d.verdict !== "accepted" || d.sessionKey === undefined || d.text === undefined || botCommandOf(d.text))
              return { lastUpdateId };
            const owed = { chatId: d.chatId, sessionKey: d.sessionKey, text: d.text, ...(d.access ? { access: d.access } : {}) };
            return { lastUpdateId, awaiting: { ...context.awaiting, [String(d.updateId)]: owed } };
          }),
        },
        "channel.sender_pending": {
          actions: assign(({ context, event }) => ({
            senders: {
              ...context.senders,
              [event.data.userId]: { status: "pending", name: event.data.name, chatId: event.data.chatId, at: event.time },
            },
          })),
        },
        "channel.sender_approved": {
          actions: assign(({ context, event }) => ({ senders: withDecision(context, event.data, "approved", event.time) })),
        },
        "channel.sender_denied": {
          actions: assign(({ context, event }) => ({ senders: withDecision(context, event.data, "denied", event.time) })),
        },
        "channel.sender_access_set": {
          actions: assign(({ context, event }) => {
            const before = context.senders[event.data.userId];
            if (!before) return {};
            const { access: _old, ...rest } = before;
            return {
              senders: {
                ...context.senders,
                [event.data.userId]: event.data.access === null ? rest : { ...rest, access: event.data.access },
              },
            };
          }),
        },
        "channel.session_started": {
          actions: assign(({ context, event }) => ({ chats: { ...context.chats, [event.data.chatId]: event.data.sessionKey } })),
        },
        "channel.reply_started": {
          actions: assign(({ context, event }) => {
            const key = String(event.data.updateId);
            const owed = context.awaiting[key];
            return owed ? { awaiting: { ...context.awaiting, [key]: { ...owed, messageId: event.data.messageId } } } : {};
          }),
        },
        "channel.message_sent": {
          actions: assign(({ context, event }) => {
            const { [String(event.data.updateId)]: _answered, ...awaiting } = context.awaiting;
            return { awaiting };
          }),
        },
      },
    },
  },
});
