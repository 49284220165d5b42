import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLlmServer, type LlmServer, type ReplyScript } from "../../fixtures/llm-server/index.ts";
import { closedPort, collect, PROVIDER_CASES, TEST_KEY } from "./llm.helpers.ts";

/** HTTP errors, broken streams and unreachable servers become CairnErrors with stable codes. */
describe.each(PROVIDER_CASES)("$id provider failures", (pc) => {
  let server: LlmServer;
  beforeAll(async () => {
    // The server checks the key, so the 401 below is the real "wrong key" path, not a script.
    server = await startLlmServer({ apiKey: TEST_KEY });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  const keyVar = pc.id === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
  const run = (script?: ReplyScript, opts?: Parameters<typeof pc.make>[1]) => {
    if (script) server.script(script);
    return collect(pc.make(server, opts).stream({ model: "test-model", messages: [{ role: "user", text: "hi" }] }));
  };

  it("a wrong API key is provider_auth, naming the variable to check", async () => {
    const got = await run(undefined, { apiKey: "sk-wrong-key-0123456789abcdef" });
    expect(got.error?.code).toBe("provider_auth");
    expect(got.error?.message).toContain(`invalid API key for ${pc.id}: check ${keyVar}`);
    expect(got.error?.message).not.toContain("sk-wrong-key-0123456789abcdef");
    expect(server.pending()).toBe(0);
  });

  it("403 is provider_auth", async () => {
    const got = await run({ error: { status: 403 } });
    expect(got.error?.code).toBe("provider_auth");
  });

  it("404 is model_unknown, naming the model", async () => {
    const got = await run({ error: { status: 404 } });
    expect(got.error?.code).toBe("model_unknown");
    expect(got.error?.message).toContain('"test-model"');
    expect(got.error?.details).toMatchObject({ status: 404, model: "test-model" });
  });

  it("429 is provider_rate_limited with retryAfterSeconds from retry-after", async () => {
    const got = await run({ error: { status: 429, headers: { "retry-after": "17" } } });
    expect(got.error?.code).toBe("provider_rate_limited");
    expect(got.error?.details).toMatchObject({ retryAfterSeconds: 17 });
    expect(got.error?.message).toContain("retry after 17 s");
  });

  it("429 with an HTTP-date retry-after, and without one", async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const dated = await run({ error: { status: 429, headers: { "retry-after": at } } });
    const seconds = (dated.error?.details as { retryAfterSeconds: number } | undefined)?.retryAfterSeconds;
    expect(seconds).toBeGreaterThan(25);
    expect(seconds).toBeLessThanOrEqual(31);
    const bare = await run({ error: { status: 429 } });
    expect(bare.error?.details).toMatchObject({ retryAfterSeconds: null });
  });

  it("500 is provider_error carrying the provider's own message", async () => {
    const got = await run({ error: { status: 500, message: "the flux capacitor melted" } });
    expect(got.error?.code).toBe("provider_error");
    expect(got.error?.message).toContain("500");
    expect(got.error?.message).toContain("the flux capacitor melted");
    expect(got.error?.message).not.toContain("{"); // the message, not the JSON body
  });

  it("a disconnect mid-stream is provider_stream_cut, after the deltas that did arrive", async () => {
    const got = await run({ chunks: ["one ", "two ", "three ", "four"], disconnectAfterChunks: 2 });
    expect(got.deltas).toEqual(["one ", "two "]);
    expect(got.done).toBeNull();
    expect(got.error?.code).toBe("provider_stream_cut");
    expect(got.error?.message).toMatch(/cut off before the reply finished after 8 characters/);
    expect(got.error?.details).toMatchObject({ provider: pc.id, receivedChars: 8 });
  });

  it("a stream that ends cleanly but without its finish events is provider_stream_cut", async () => {
    const got = await run({ chunks: ["one ", "two ", "three"], endAfterChunks: 1 });
    expect(got.deltas).toEqual(["one "]);
    expect(got.done).toBeNull();
    expect(got.error?.code).toBe("provider_stream_cut");
    expect(got.error?.message).toMatch(/cut off/);
  });

  it("an overload reported inside the stream is provider_overloaded with the provider's words", async () => {
    const got = await run({ chunks: ["a", "b", "c"], streamError: { afterChunks: 1, message: "Overloaded" } });
    expect(got.deltas).toEqual(["a"]);
    expect(got.error?.code).toBe("provider_overloaded");
    expect(got.error?.message).toContain("Overloaded");
    expect(got.error?.details).toMatchObject({ midStream: true, receivedChars: 1 });
  });

  it("any other error reported inside the stream is provider_error with the provider's words", async () => {
    const got = await run({
      chunks: ["a", "b"],
      streamError: { afterChunks: 1, message: "the answer violated a policy", type: "invalid_request_error" },
    });
    expect(got.error?.code).toBe("provider_error");
    expect(got.error?.message).toContain("the answer violated a policy");
  });

  it("503 and 529 are provider_overloaded, carrying Retry-After", async () => {
    for (const status of [503, 529]) {
      const got = await run({ error: { status, headers: { "retry-after": "4" } } });
      expect(got.error?.code).toBe("provider_overloaded");
      expect(got.error?.details).toMatchObject({ status, retryAfterSeconds: 4 });
      expect(got.error?.message).toContain("retry after 4 s");
    }
    const bare = await run({ error: { status: 529 } });
    expect(bare.error?.details).toMatchObject({ retryAfterSeconds: null });
  });

  it("a prompt over the context window is context_too_long, in each provider's words", async () => {
    const bodies: ReplyScript[] =
      pc.id === "openai"
        ? [
            {
              error: {
                status: 400,
                code: "context_length_exceeded",
                type: "invalid_request_error",
                message:
                  "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
              },
            },
            // A compatible server that says it only in words (vLLM, Mistral).
            {
              error: {
                status: 400,
                code: null,
                message: "Prompt contains 40000 tokens, too large for model with 32768 maximum context length",
              },
            },
          ]
        : [{ error: { status: 400, type: "invalid_request_error", message: "prompt is too long: 215000 tokens > 200000 maximum" } }];
    for (const b of bodies) {
      const got = await run(b);
      expect(got.error?.code).toBe("context_too_long");
      expect(got.error?.message).toContain("too long for test-model");
      expect(got.error?.details).toMatchObject({ status: 400, model: "test-model" });
    }
  });

  it("a 400 that is not about length stays provider_error (not retryable)", async () => {
    const got = await run({ error: { status: 400, message: "messages: roles must alternate" } });
    expect(got.error?.code).toBe("provider_error");
    expect(got.error?.details).toMatchObject({ status: 400 });
  });

  it("connection refused is provider_unreachable, naming the base URL", async () => {
    const port = await closedPort();
    const baseURL = pc.id === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
    const got = await run(undefined, { baseURL });
    expect(got.error?.code).toBe("provider_unreachable");
    expect(got.error?.message).toContain(baseURL);
    expect(got.error?.message).toContain("ECONNREFUSED");
  });

  it("no response headers within the timeout is provider_unreachable", async () => {
    const got = await run({ firstByteDelayMs: 1500 }, { timeoutMs: 200 });
    expect(got.error?.code).toBe("provider_unreachable");
    expect(got.error?.message).toContain(pc.baseUrl(server));
  });

  it("silence mid-stream longer than the idle timeout is provider_unreachable", async () => {
    const t0 = performance.now();
    const got = await run({ chunks: ["a", "b"], chunkDelayMs: 3000 }, { idleTimeoutMs: 300 });
    expect(got.deltas).toEqual(["a"]);
    expect(got.error?.code).toBe("provider_unreachable");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("never puts the API key in an error message, even when the server echoes it", async () => {
    const echo = `key ${TEST_KEY} rejected (${TEST_KEY.slice(0, 12)}...)`;
    const scripts: ReplyScript[] = [400, 401, 403, 404, 429, 500, 503, 529].map((status) => ({ error: { status, message: echo } }));
    scripts.push({ error: { status: 400, message: `maximum context length exceeded for ${TEST_KEY}` } });
    scripts.push({ chunks: ["a"], streamError: { afterChunks: 1, message: echo } });
    for (const s of scripts) {
      const got = await run(s);
      expect(got.error).not.toBeNull();
      expect(got.error!.message).not.toContain(TEST_KEY);
      expect(JSON.stringify(got.error!.toWire())).not.toContain(TEST_KEY);
    }
  });
});
