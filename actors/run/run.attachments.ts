import type { Attachment } from "../../schemas/index.ts";
import type { ChatMessage, ConversationMessage, ImageInput } from "../llm/index.ts";

/** Reads a stored attachment's bytes (the gateway's `AttachmentStore`). */
export type AttachmentReader = (sha256: string) => Promise<Uint8Array>;

/** A prompt turn with the files of the user message it came from, before they are read. */
export type PromptMessage = ChatMessage & { readonly attachments?: readonly Attachment[] };

const fileBlock = (name: string, content: string) => `<file name="${name.replaceAll('"', "'")}">\n${content}\n</file>`;
const missing = (a: Attachment) => `[attachment ${a.name} is no longer in the gateway's attachment store]`;

/**
 * The prompt with each user message's files read: a text file goes into the message's text (as a
 * `<file>` block after what the user typed), an image becomes an inline image part. Without a
 * store (or for a file the store lost) the model reads a note instead, never a silent gap.
 */
export const readAttachments = async (messages: readonly PromptMessage[], read: AttachmentReader | undefined): Promise<ChatMessage[]> =>
  Promise.all(
    messages.map(async ({ attachments, ...m }): Promise<ChatMessage> => {
      if (!attachments?.length) return m;
      const blocks: string[] = [];
      const images: ImageInput[] = [];
      for (const a of attachments) {
        const bytes = read ? await read(a.sha256).catch(() => null) : null;
        if (!bytes) blocks.push(missing(a));
        else if (a.kind === "text") blocks.push(fileBlock(a.name, Buffer.from(bytes).toString("utf8")));
        else images.push({ name: a.name, mime: a.mime, base64: Buffer.from(bytes).toString("base64") });
      }
      const text = [m.text, ...blocks].filter((t) => t.length > 0).join("\n\n");
      return { ...m, text, ...(images.length > 0 ? { images } : {}) };
    }),
  );

/**
 * The messages as a model that cannot see receives them: each image replaced by a note naming it,
 * so the model can tell the user what it missed (earlier turns of a chat that switched models, a
 * fallback model without vision). A new message with images is refused before this (`model_no_vision`).
 */
export const imagesAsNotes = (messages: readonly ConversationMessage[], modelId: string): ConversationMessage[] =>
  messages.map((m) => {
    if (m.role !== "user" || !("images" in m) || !m.images?.length) return m;
    const names = m.images.map((i) => i.name).join(", ");
    const note = `[the user attached ${m.images.length === 1 ? "an image" : "images"} (${names}); ${modelId} cannot see images, so ${m.images.length === 1 ? "it was" : "they were"} not sent]`;
    const { images: _images, ...rest } = m;
    return { ...rest, text: rest.text ? `${rest.text}\n\n${note}` : note };
  });
