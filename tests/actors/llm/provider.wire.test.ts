import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../../../actors/llm/anthropic.provider.ts";
import { createOpenAiProvider } from "../../../actors/llm/openai.provider.ts";
import { collect, TEST_KEY, useLlmServer } from "./llm.helpers.ts";

/** What each SDK puts on the wire, and how each protocol's own vocabulary is mapped. */
describe("provider wire details", () => {
  const server = useLlmServer();

  const openai = () => createOpenAiProvider({ apiKey: TEST_KEY, baseURL: server.openaiBaseUrl });
  const anthropic = () => createAnthropicProvider({ apiKey: TEST_KEY, baseURL: server.anthropicBaseUrl });
  const hi = [{ role: "user" as const, text: "hi" }];

  it("openai: bearer auth on /v1/chat/completions, no system message when none is given", async () => {
    await collect(openai().stream({ model: "gpt-4o-mini", messages: hi }));
    const rec = server.requests[0];
    expect(rec.protocol).toBe("openai");
    expect(rec.path).toBe("/v1/chat/completions");
    expect(rec.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(rec.body.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(rec.body).not.toHaveProperty("max_completion_tokens");
    // Only one attempt: retries are the run layer's decision.
    expect(rec.headers["x-stainless-retry-count"]).toBe("0");
  });

  it("anthropic: the key and anthropic-version on /v1/messages, a default max_tokens", async () => {
    await collect(anthropic().stream({ model: "claude-sonnet-4-6", messages: hi }));
    const rec = server.requests[0];
    expect(rec.protocol).toBe("anthropic");
    expect(rec.path).toBe("/v1/messages");
    // @anthropic-ai/sdk 1.x sends an API key as `Authorization: Bearer`, no longer as x-api-key.
    const sent = rec.headers["x-api-key"] ?? String(rec.headers.authorization).replace(/^Bearer /, "");
    expect(sent).toBe(TEST_KEY);
    expect(rec.headers["anthropic-version"]).toBeTruthy();
    expect(rec.body.max_tokens).toBe(8192);
    expect(rec.body).not.toHaveProperty("system");
  });

  it("anthropic: stop reasons map to the OpenAI vocabulary, unknown ones pass through", async () => {
    const reasons: Array<[string, string]> = [
      ["stop", "stop"], // end_turn on the wire
      ["length", "length"], // max_tokens
      ["tool_calls", "tool_calls"], // tool_use
      ["pause_turn", "pause_turn"],
    ];
    for (const [scripted, expected] of reasons) {
      server.script({ chunks: ["x"], finishReason: scripted });
      expect((await collect(anthropic().stream({ model: "c", messages: hi }))).done?.finishReason).toBe(expected);
    }
  });

  it("anthropic: usage counts the prompt from message_start/message_delta and the final output count", async () => {
    server.script({ chunks: ["a", "b"], usage: { inputTokens: 120, outputTokens: 9 } });
    const got = await collect(anthropic().stream({ model: "c", messages: hi }));
    expect(got.done?.usage).toEqual({ inputTokens: 120, outputTokens: 9 });
  });

  it("anthropic: cache reads and writes are reported beside the whole prompt's size", async () => {
    server.script({ chunks: ["a"], usage: { inputTokens: 1200, outputTokens: 5, cacheReadTokens: 1000, cacheWriteTokens: 150 } });
    const got = await collect(anthropic().stream({ model: "c", messages: hi }));
    expect(got.done?.usage).toEqual({ inputTokens: 1200, outputTokens: 5, cacheReadTokens: 1000, cacheWriteTokens: 150 });
    // On the wire input_tokens left the cached parts out.
    expect(got.error).toBeNull();
  });

  it("openai: prompt_tokens_details.cached_tokens is reported as cache reads; none when zero", async () => {
    server.script({ chunks: ["a"], usage: { inputTokens: 2048, outputTokens: 3, cacheReadTokens: 1024 } });
    expect((await collect(openai().stream({ model: "m", messages: hi }))).done?.usage).toEqual({
      inputTokens: 2048,
      outputTokens: 3,
      cacheReadTokens: 1024,
    });
    server.script({ chunks: ["a"], usage: { inputTokens: 20, outputTokens: 3 } });
    expect((await collect(openai().stream({ model: "m", messages: hi }))).done?.usage).toEqual({ inputTokens: 20, outputTokens: 3 });
  });

  it("a disconnect after the last text chunk, before the finish events, is still a cut-off", async () => {
    // disconnectAfterChunks past the end cuts right after the last text chunk.
    server.script({ chunks: ["a"], disconnectAfterChunks: 5 });
    const got = await collect(openai().stream({ model: "m", messages: hi }));
    expect(got.error?.code).toBe("provider_stream_cut");
    expect(got.text).toBe("a");
  });
});
