import type { ChatMessage } from "./messages.ts";
import type { Attachment } from "./wire.ts";

/** What the edit and retry actions need of the app: its fork and send (both record events). */
export type ChatActionsHost = {
  fork(messageIndex?: number, label?: string): Promise<boolean>;
  send(text: string, attachments?: readonly Attachment[]): Promise<boolean>;
  chat: { historyOffset: number };
};

/**
 * Edits a sent message as a fork: a new branch that keeps the messages before it (the log records
 * `session.forked`), and the edited text sent there with the files the person kept (those of the
 * original unless removed in the editor). The original chat is not rewritten: the log is
 * append-only, and the first answer stays readable.
 */
export async function editMessage(
  app: ChatActionsHost,
  historyIndex: number,
  text: string,
  attachments: readonly Attachment[],
): Promise<boolean> {
  if (!(await app.fork(app.chat.historyOffset + historyIndex, "edited"))) return false;
  return app.send(text, attachments);
}

/** The user message a reply answers: the nearest one before it. */
export const promptOf = (messages: readonly ChatMessage[], reply: ChatMessage): ChatMessage | undefined => {
  const at = messages.findIndex((m) => m.id === reply.id);
  return at < 0 ? undefined : messages.slice(0, at).findLast((m) => m.role === "user");
};

/**
 * Asks for a reply again. A reply that failed, was interrupted or stopped is retried in place: the
 * question is sent again (a new `session.user_message`, so the log shows both attempts). A
 * complete reply is regenerated in a branch that ends before its question, so both answers stay.
 */
export async function retryReply(app: ChatActionsHost, messages: readonly ChatMessage[], reply: ChatMessage): Promise<boolean> {
  const prompt = promptOf(messages, reply);
  if (!prompt) return false;
  // The question is asked again as it was: with its files.
  const files = prompt.attachments ?? [];
  if (reply.status !== "complete") return app.send(prompt.text, files);
  if (prompt.historyIndex === undefined) return false;
  if (!(await app.fork(app.chat.historyOffset + prompt.historyIndex, "regenerated"))) return false;
  return app.send(prompt.text, files);
}
