import * as Schema from "effect/Schema";

/**
 * The part of OpenAI's Chat Completions request cairn honours (`POST /v1/chat/completions`), so
 * existing clients and SDKs can talk to a cairn session. Sampling fields (temperature, top_p, …)
 * are accepted and ignored: the session's model settings decide. Tools are cairn's own, run by
 * the gateway with its approvals; a client's `tools` are refused rather than silently dropped.
 */
const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String });
/** An image; cairn takes `data:` URLs only (it fetches no URL a client names). `detail` is ignored. */
const ImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({ url: Schema.String, detail: Schema.optionalKey(Schema.String) }),
});
const Content = Schema.Union([Schema.String, Schema.Array(Schema.Union([TextPart, ImagePart])), Schema.Null]);

export const ChatMessageIn = Schema.Struct({
  role: Schema.Literals(["system", "developer", "user", "assistant", "tool"]),
  content: Schema.optionalKey(Content),
  name: Schema.optionalKey(Schema.String),
});
export type ChatMessageIn = typeof ChatMessageIn.Type;

export const ChatCompletionRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(ChatMessageIn).check(Schema.isMinLength(1)),
  stream: Schema.optionalKey(Schema.Boolean),
  /** OpenAI's end-user id; cairn uses it as the session key when no `X-Cairn-Session` is sent. */
  user: Schema.optionalKey(Schema.String),
  tools: Schema.optionalKey(Schema.Array(Schema.Unknown)),
});
export type ChatCompletionRequest = typeof ChatCompletionRequest.Type;

/** A message's text: a string, or its text parts joined. */
export const textOf = (m: ChatMessageIn): string =>
  m.content == null ? "" : typeof m.content === "string" ? m.content : m.content.map((p) => (p.type === "text" ? p.text : "")).join("");

/** The `image_url` URLs of a message, in order. */
export const imageUrlsOf = (m: ChatMessageIn): string[] =>
  Array.isArray(m.content) ? m.content.flatMap((p) => (p.type === "image_url" ? [p.image_url.url] : [])) : [];

/** OpenAI's error body, which its SDKs turn into typed errors (`APIError.status`, `.code`). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}
