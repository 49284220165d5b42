import * as Schema from "effect/Schema";

/**
 * Files a user attaches to a message. The bytes live in the gateway's data dir, named by their
 * SHA-256 (`bus/attachments`); events carry only this reference, never the bytes, so the log stays
 * small and an image sent twice is stored once.
 */

/** Lower-case hex SHA-256 of the bytes: the file's name in the store. */
export const AttachmentHash = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/));

/** `image`: sent to vision models as an image part. `text`: put into the message as text. */
export const AttachmentKind = Schema.Literals(["image", "text"]);
export type AttachmentKind = typeof AttachmentKind.Type;

/** The image formats every vision API cairn speaks accepts (OpenAI, Anthropic, Gemini, Ollama). */
export const IMAGE_MIMES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;

/** Per file: Anthropic refuses images over 5 MB; a text file this size is already ~100k tokens. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_TEXT_FILE_BYTES = 512 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 8;

const FileName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255));

/** A stored file as a message refers to it. `mime` and `kind` come from the bytes, not the client. */
export const Attachment = Schema.Struct({
  sha256: AttachmentHash,
  /** The name the user gave the file (shown on its chip; the model sees it for text files). */
  name: FileName,
  mime: Schema.String.check(Schema.isMaxLength(100)),
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  kind: AttachmentKind,
});
export type Attachment = typeof Attachment.Type;

export const Attachments = Schema.Array(Attachment).check(Schema.isMaxLength(MAX_ATTACHMENTS_PER_MESSAGE));

/** What a client names when it sends: an uploaded file's hash and the name to show. */
export const AttachmentRef = Schema.Struct({ sha256: AttachmentHash, name: FileName });
export type AttachmentRef = typeof AttachmentRef.Type;

export const AttachmentRefs = Schema.Array(AttachmentRef).check(Schema.isMaxLength(MAX_ATTACHMENTS_PER_MESSAGE));
