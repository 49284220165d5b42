import type { NatsConnection } from "@nats-io/transport-node";
import type { Api } from "grammy";
import { followSession, requestAs, subjects } from "../../../bus/index.ts";
import { GetHistoryResult, SendMessageResult, type ChannelAccess, type WireError } from "../../../schemas/index.ts";
import { replyPieces, streamingText } from "./telegram.format.ts";

/** How long a command or query to the gateway may take. */
export const COMMAND_TIMEOUT_MS = 30_000;

export interface TelegramReplyDeps {
  readonly api: Api;
  readonly nc: NatsConnection;
  /** A command to the channel's aggregate (`cmd.channel.telegram.<verb>`). */
  readonly channel: (verb: string, params: unknown) => Promise<unknown>;
  /** The run each chat waits on (for /stop). */
  readonly running: Map<string, { sessionKey: string; runId: string }>;
  /** The approvals whose buttons this process posted, with the chat and the user who may answer. */
  readonly approvals: Map<string, { chatId: string; userId: string }>;
  readonly now: () => number;
  /** Least time between two edits of a streaming reply. */
  readonly editEvery: number;
}

/**
 * A reply in a Telegram chat: the message goes to the chat's session, the agent's reply streams
 * into one message edited as it grows (throttled), tool approvals become inline buttons, and the
 * final text replaces the streaming one, formatted and split when long.
 */
export function telegramReplies(d: TelegramReplyDeps) {
  const { running, approvals, channel, now, editEvery } = d;
  /** Edits the streaming message; "message is not modified" and the like are not worth a failure. */
  const edit = (chatId: string, messageId: number, text: string, markdownV2 = false) =>
    d.api.editMessageText(chatId, messageId, text, markdownV2 ? { parse_mode: "MarkdownV2" } : {});

  /** The run's final text from the history (the log has it even when live messages were missed). */
  const finalText = async (sessionKey: string, runId: string): Promise<{ text: string; error: WireError | null } | null> => {
    const h = await requestAs(d.nc, subjects.query("messages", "history"), { sessionKey }, GetHistoryResult, {
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
    const m = h.messages.findLast((x) => x.role === "assistant" && x.runId === runId);
    if (!m || m.status === "streaming") return null;
    return {
      text: m.text,
      error: m.status === "complete" ? null : (m.error ?? { code: "internal", message: `the reply was ${m.status}` }),
    };
  };

  /** Sends the finished reply: the streaming message becomes the first piece, the rest follow. */
  const deliver = async (chatId: string, placeholder: number | null, text: string, error: WireError | null): Promise<number[]> => {
    const body = error ? `${text}${text ? "\n\n" : ""}⚠ ${error.message}` : text || "(no reply)";
    const ids: number[] = [];
    for (const [i, piece] of replyPieces(body).entries()) {
      const v2 = piece.markdownV2;
      let id: number | null = null;
      // Into the streaming message when there is one and it can still be edited (it may be gone).
      if (i === 0 && placeholder !== null) {
        for (const [t, formatted] of [...(v2 !== null ? [[v2, true] as const] : []), [piece.plain, false] as const]) {
          if (id !== null) break;
          id = await edit(chatId, placeholder, t, formatted).then(
            () => placeholder,
            () => null,
          );
        }
      }
      // Telegram's parser is stricter than any converter: a piece it refuses goes as plain text.
      id ??= await (v2 !== null ? d.api.sendMessage(chatId, v2, { parse_mode: "MarkdownV2" }) : Promise.reject(new Error("plain"))).then(
        (m) => m.message_id,
        async () => (await d.api.sendMessage(chatId, piece.plain)).message_id,
      );
      ids.push(id);
    }
    return ids;
  };

  /** Sends the message to the chat's session and streams the agent's reply back. */
  const answer = async (
    updateId: number,
    chatId: string,
    userId: string,
    sessionKey: string,
    text: string,
    /** The sender's level, as recorded with the update (absent for updates from before levels: the owner's rules). */
    access: ChannelAccess | undefined,
    /** The message a reply cut off by a crash had started in. */
    started?: number,
  ): Promise<void> => {
    const live = followSession(d.nc, sessionKey);
    try {
      const sent = await requestAs(
        d.nc,
        subjects.command("session", sessionKey, "send"),
        { text, messageId: `tg-${updateId}`, createIfMissing: true, ...(access ? { access } : {}) },
        SendMessageResult,
        { timeoutMs: COMMAND_TIMEOUT_MS },
      );
      const runId = sent.runId;
      running.set(chatId, { sessionKey, runId });
      // A repeat after a crash: the run may have ended already; its text is in the history.
      const done = sent.duplicate ? await finalText(sessionKey, runId) : null;
      let placeholder: number | null = started ?? null;
      let soFar = "";
      /** The message the reply streams into, recorded so a crash does not leave it behind as a stray "…". */
      const open = async (): Promise<number> => {
        const id = (await d.api.sendMessage(chatId, "…")).message_id;
        await channel("reply_started", { updateId, chatId, messageId: id });
        return id;
      };
      let error: WireError | null = done?.error ?? null;
      if (done) soFar = done.text;
      else {
        placeholder ??= await open();
        let shown = "";
        let lastEdit = 0;
        for await (const u of live.run(runId)) {
          if (u.type === "text") {
            soFar += u.text;
            placeholder ??= await open();
            if (now() - lastEdit >= editEvery && streamingText(soFar) !== shown) {
              lastEdit = now();
              shown = streamingText(soFar);
              await edit(chatId, placeholder, shown).catch(() => {});
            }
          } else if (u.type === "approval") {
            approvals.set(u.approvalId, { chatId, userId });
            // The reply goes on below the question, so the chat reads in order: an empty "…" is removed.
            if (placeholder !== null && soFar.trim() === "") {
              await d.api.deleteMessage(chatId, placeholder).catch(() => {});
              placeholder = null;
            }
            await d.api.sendMessage(chatId, `The agent wants to run:\n\n${u.command.slice(0, 3000)}`, {
              reply_markup: {
                inline_keyboard: [
                  [
                    { text: "Approve", callback_data: `ap:${u.approvalId}:y` },
                    { text: "Deny", callback_data: `ap:${u.approvalId}:n` },
                  ],
                ],
              },
            });
          } else {
            error = u.error;
            // The history has the text as recorded, also when a live delta was lost on the way.
            soFar = (await finalText(sessionKey, runId).catch(() => null))?.text ?? soFar;
          }
        }
      }
      const messageIds = await deliver(chatId, placeholder, soFar, error);
      await channel("record_sent", { updateId, chatId, runId, messageIds, chars: soFar.length });
    } finally {
      live.close();
      running.delete(chatId);
    }
  };
  return { answer, edit };
}
