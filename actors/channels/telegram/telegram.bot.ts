import { setTimeout as sleep } from "node:timers/promises";
import type { Api } from "grammy";
import type { Message, Update, User } from "grammy/types";
import { request, requestAs, subjects } from "../../../bus/index.ts";
import { CairnError, isCairnError, type ChannelAccess } from "../../../schemas/index.ts";
import { botCommandOf, type BotCommand } from "../bot.commands.ts";
import { OwedReply, ReceiveReply } from "../channel.commands.ts";
import { COMMAND_TIMEOUT_MS, telegramReplies } from "./telegram.reply.ts";
import type { ChannelState, ChannelStatus, TelegramBot, TelegramBotDeps } from "./telegram.types.ts";

const CHANNEL = "telegram";
const MAX_BACKOFF_MS = 60_000;

const HELP =
  "I am your cairn agent. Write to me and I answer.\n\n/new start a new conversation\n/stop stop the reply in progress\n/model provider/model switch the model";

/** Waits, or less when the loop is stopped. */
const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

const nameOf = (u: User): string => [u.first_name, u.last_name].filter(Boolean).join(" ") + (u.username ? ` (@${u.username})` : "");

/**
 * The Telegram channel's loop: long polling through the Bot API (grammy's `Api`, with 429
 * `retry_after` honoured by @grammyjs/auto-retry), every update recorded in the channel's log
 * before anything is done about it, and the agent's reply streamed into one message that is
 * edited as it grows (throttled: Telegram allows about one edit per second per chat), then
 * replaced by the formatted final text, split when long. Tool approvals arrive as inline buttons
 * that resolve the same approval actor as the UI.
 *
 * Exactly once: an update's id is its key in the log (`receive` refuses a repeat), its message
 * reaches the session under the message id `tg-<update id>` (the session refuses a repeat), and a
 * reply still owed after a crash is finished at the next start (`owed`).
 */
export function createTelegramBot(d: TelegramBotDeps): TelegramBot {
  const now = d.now ?? Date.now;
  const editEvery = d.editIntervalMs ?? 1000;
  let state: ChannelState = "stopped";
  let lastError: string | null = null;
  let failures = 0;
  let since = now();
  let loop: Promise<void> | undefined;
  let bot: ChannelStatus["bot"] = null;
  let abort = new AbortController();
  const set = (s: ChannelState, error: string | null = lastError) => {
    if (s !== state) since = now();
    state = s;
    lastError = error;
  };
  /** One reply at a time per chat, in the order the messages came. */
  const chats = new Map<string, Promise<void>>();
  const inChat = (chatId: string, work: () => Promise<void>) => {
    const next = (chats.get(chatId) ?? Promise.resolve())
      .then(work)
      .catch((e: Error) => d.report(`telegram: chat ${chatId}: ${e.message}`));
    chats.set(chatId, next);
    void next.finally(() => chats.get(chatId) === next && chats.delete(chatId));
  };
  /** The run each chat waits on (for /stop), and the approvals whose buttons this process posted. */
  const running = new Map<string, { sessionKey: string; runId: string }>();
  const approvals = new Map<string, { chatId: string; userId: string }>();

  const channel = (verb: string, params: unknown) =>
    request(d.nc, subjects.command("channel", CHANNEL, verb), params, { timeoutMs: COMMAND_TIMEOUT_MS });
  const isAllowed = (u: User) =>
    d.allowedUsers.some(
      (a) => a === String(u.id) || (u.username !== undefined && a.replace(/^@/, "").toLowerCase() === u.username.toLowerCase()),
    );
  const say = (chatId: string, text: string) =>
    d.api.sendMessage(chatId, text).catch((e: Error) => d.report(`telegram: could not send to ${chatId}: ${e.message}`));

  const { answer, edit } = telegramReplies({ ...d, channel, running, approvals, now, editEvery });

  const command = async (cmd: BotCommand, chatId: string, sessionKey: string, access: ChannelAccess | undefined): Promise<void> => {
    switch (cmd.name) {
      case "start":
      case "help":
        await say(chatId, HELP);
        return;
      case "new": {
        const key = `tg-${chatId}-${now().toString(36)}`;
        await channel("new_session", { chatId, sessionKey: key });
        await say(chatId, "Started a new conversation.");
        return;
      }
      case "stop": {
        const r = running.get(chatId);
        if (!r) return void (await say(chatId, "Nothing is running."));
        await request(d.nc, subjects.command("session", r.sessionKey, "cancel"), { runId: r.runId, by: `telegram:${chatId}` });
        return;
      }
      case "model": {
        // Choosing the model is a setting (and spends the owner's money differently): admins only.
        if (access !== undefined && access !== "admin")
          return void (await say(chatId, `Only an admin of this agent can switch the model (your access: ${access}).`));
        if (!cmd.arg) return void (await say(chatId, "Usage: /model provider/model (for example openai/gpt-4o-mini)."));
        const r = await request(d.nc, subjects.command("session", sessionKey, "set_model"), { model: cmd.arg }).then(
          () => `This conversation uses ${cmd.arg} now.`,
          (e: Error) => `Could not switch: ${e.message}`,
        );
        await say(chatId, r);
        return;
      }
    }
  };

  const onMessage = async (updateId: number, m: Message & { from: User; text: string }) => {
    const chatId = String(m.chat.id);
    const userId = String(m.from.id);
    const r = await requestAs(
      d.nc,
      subjects.command("channel", CHANNEL, "receive"),
      {
        updateId,
        userId,
        chatId,
        name: nameOf(m.from).slice(0, 200),
        text: m.text.slice(0, 16_384),
        allowed: isAllowed(m.from),
        ...(d.defaultAccess ? { defaultAccess: d.defaultAccess } : {}),
      },
      ReceiveReply,
      { timeoutMs: COMMAND_TIMEOUT_MS },
    );
    if (r.verdict === "pending") {
      if (r.firstTime)
        await say(
          chatId,
          `Hi ${m.from.first_name}! The owner of this agent has to let you in first; your request is waiting (user id ${userId}).`,
        );
      return;
    }
    if (r.verdict !== "accepted" || r.sessionKey === undefined) return;
    const cmd = botCommandOf(m.text);
    const sessionKey = r.sessionKey;
    if (cmd) {
      if (!r.duplicate) inChat(chatId, () => command(cmd, chatId, sessionKey, r.access));
      return;
    }
    inChat(chatId, () => answer(updateId, chatId, userId, sessionKey, m.text, r.access));
  };

  const onCallback = async (q: NonNullable<Update["callback_query"]>) => {
    const m = /^ap:([A-Za-z0-9_-]{1,64}):([yn])$/.exec(q.data ?? "");
    const posted = m ? approvals.get(m[1]) : undefined;
    // Only the person whose message led to the approval may answer it, and only where it was asked.
    if (!m || !posted || posted.userId !== String(q.from.id)) {
      await d.api.answerCallbackQuery(q.id, { text: "This button is no longer valid; answer in cairn (UI or `cairn approvals`)." });
      return;
    }
    const verb = m[2] === "y" ? "approve" : "deny";
    const r = (await request(d.nc, subjects.command("approval", m[1], verb), { by: `telegram:${q.from.id}` })) as { status: string };
    approvals.delete(m[1]);
    await d.api.answerCallbackQuery(q.id, {
      text: r.status === "granted" ? "Approved" : r.status === "denied" ? "Denied" : `Already ${r.status}`,
    });
    if (q.message) await edit(String(q.message.chat.id), q.message.message_id, `${q.message.text ?? ""}\n\n→ ${r.status}`).catch(() => {});
  };

  const onUpdate = async (u: Update): Promise<void> => {
    const m = u.message;
    if (m?.from && m.text !== undefined) return onMessage(u.update_id, m as Message & { from: User; text: string });
    if (u.callback_query) return onCallback(u.callback_query);
    // Other kinds (edits, photos, joins): confirmed by the offset and left alone.
  };

  /** Replies a crash cut off: sent to their sessions again (idempotent) and delivered. */
  const finishOwed = async () => {
    const { owed } = await requestAs(d.nc, subjects.command("channel", CHANNEL, "owed"), {}, OwedReply, { timeoutMs: COMMAND_TIMEOUT_MS });
    for (const o of owed) inChat(o.chatId, () => answer(o.updateId, o.chatId, o.chatId, o.sessionKey, o.text, o.access, o.messageId));
  };

  const run = async (signal: AbortSignal) => {
    let offset: number | undefined;
    let owedDone = false;
    /** Whether Telegram was told where to post (webhook mode) or to stop posting (polling). */
    let routed = false;
    while (!signal.aborted) {
      if (!d.owns()) {
        set("standby");
        owedDone = false;
        routed = false;
        await pause(1000, signal);
        continue;
      }
      try {
        if (!owedDone) {
          await finishOwed();
          owedDone = true;
        }
        if (bot === null) {
          const me = await d.api.getMe();
          bot = { id: me.id, username: me.username, name: me.first_name };
        }
        if (d.webhook) {
          if (!routed) {
            await d.api.setWebhook(d.webhook.url, { secret_token: d.webhook.secret, allowed_updates: ["message", "callback_query"] });
            routed = true;
          }
          // Updates arrive on the edge (`webhookUpdate`); this loop only keeps ownership and state.
          set("listening", null);
          failures = 0;
          await pause(1000, signal);
          continue;
        }
        // A webhook left from an earlier configuration makes getUpdates fail (409): remove it once.
        if (!routed) {
          await d.api.deleteWebhook();
          routed = true;
        }
        const updates = await d.api.getUpdates(
          { ...(offset !== undefined ? { offset } : {}), timeout: d.pollTimeoutSec ?? 25, allowed_updates: ["message", "callback_query"] },
          // grammy types its signal with the abort-controller shim's class; Node's is the same at run time.
          signal as Parameters<Api["getUpdates"]>[1],
        );
        set("polling", null);
        failures = 0;
        for (const u of updates) {
          // Recorded (and its work queued) before the offset moves past it: a crash here means a
          // redelivery, which the log recognises.
          await onUpdate(u).catch((e: Error) => d.report(`telegram: update ${u.update_id}: ${e.message}`));
          offset = u.update_id + 1;
        }
      } catch (e) {
        if (signal.aborted) break;
        failures++;
        const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 6));
        set("backing_off", isCairnError(e) ? e.message : (e as Error).message);
        d.report(`telegram: ${lastError}; retrying in ${Math.round(wait / 1000)} s`);
        await pause(wait, signal);
      }
    }
    set("stopped");
  };

  return {
    start() {
      if (loop) return;
      abort = new AbortController();
      set("standby");
      loop = run(abort.signal);
    },
    async stop() {
      abort.abort();
      await loop;
      loop = undefined;
      await Promise.allSettled([...chats.values()]);
    },
    status: () => ({ state, lastError, failures, since, bot }),
    async webhookUpdate(u) {
      if (!d.webhook) throw new CairnError("not_found", "the Telegram channel is in polling mode");
      // Only the gateway that owns the channel records its updates; Telegram retries on an error.
      if (!d.owns() || !loop) throw new CairnError("unavailable", "this gateway does not run the Telegram channel now; retry");
      await onUpdate(u);
    },
  };
}
