import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../../../actors/llm/anthropic.provider.ts";
import { createOpenAiProvider } from "../../../actors/llm/openai.provider.ts";
import type { ConversationMessage } from "../../../actors/llm/index.ts";
import { collect, TEST_KEY, useLlmServer } from "./llm.helpers.ts";

/** A 1×1 PNG: what a vision request carries, byte for byte. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const sha = createHash("sha256").update(PNG).digest("hex");
const withImage: ConversationMessage[] = [
  { role: "user", text: "what is this?", images: [{ name: "dot.png", mime: "image/png", base64: PNG.toString("base64") }] },
];

/** Images in each provider's real wire format (Gemini and Ollama speak the OpenAI shape through their /v1 endpoints). */
describe("provider image parts", () => {
  const server = useLlmServer();

  it("openai: the text part, then an image_url part with a data URL", async () => {
    await collect(
      createOpenAiProvider({ apiKey: TEST_KEY, baseURL: server.openaiBaseUrl }).stream({ model: "gpt-4o", messages: withImage }),
    );
    const rec = server.requests[0];
    expect(rec.body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "what is this?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
      ],
    });
    expect(rec.images).toEqual([{ messageIndex: 0, mime: "image/png", sha256: sha, bytes: PNG.length }]);
  });

  it("openai: a turn without images stays a plain string", async () => {
    await collect(
      createOpenAiProvider({ apiKey: TEST_KEY, baseURL: server.openaiBaseUrl }).stream({
        model: "gpt-4o",
        messages: [{ role: "user", text: "hi" }],
      }),
    );
    expect(server.requests[0].body.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(server.requests[0].images).toEqual([]);
  });

  it("anthropic: a base64 image block first, then the text", async () => {
    await collect(
      createAnthropicProvider({ apiKey: TEST_KEY, baseURL: server.anthropicBaseUrl }).stream({
        model: "claude-sonnet-4-6",
        messages: withImage,
      }),
    );
    const rec = server.requests[0];
    expect(rec.body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") } },
        { type: "text", text: "what is this?" },
      ],
    });
    expect(rec.images).toEqual([{ messageIndex: 0, mime: "image/png", sha256: sha, bytes: PNG.length }]);
  });

  it("anthropic: an image-only message after tool results joins their user turn", async () => {
    const messages: ConversationMessage[] = [
      { role: "user", text: "look" },
      { role: "assistant", text: "", toolCalls: [{ id: "t1", name: "read", arguments: "{}" }] },
      { role: "tool", toolCallId: "t1", text: "ok" },
      { role: "user", text: "", images: [{ name: "dot.png", mime: "image/png", base64: PNG.toString("base64") }] },
    ];
    const tools = [{ name: "read", description: "r", parameters: { type: "object" as const } }];
    for await (const _ of createAnthropicProvider({ apiKey: TEST_KEY, baseURL: server.anthropicBaseUrl }).stream({
      model: "claude-sonnet-4-6",
      messages,
      tools,
    }));
    const last = server.requests[0].body.messages.at(-1);
    expect(last.content.map((b: { type: string }) => b.type)).toEqual(["tool_result", "image"]);
  });
});
