import { describe, expect, it } from "vitest";
import { collect, PROVIDER_CASES, useLlmServer } from "./llm.helpers.ts";

/** Both providers, through their real SDKs, against the scripted server's real wire protocol. */
describe.each(PROVIDER_CASES)("$id provider streaming", (pc) => {
  const server = useLlmServer();

  const ask = (text = "hello") => pc.make(server).stream({ model: "test-model", messages: [{ role: "user", text }] });

  it("streams the scripted chunks as deltas, then usage and the finish reason", async () => {
    server.script({ chunks: ["The ", "quick ", "brown ", "fox."], usage: { inputTokens: 11, outputTokens: 4 } });
    const got = await collect(ask());
    expect(got.error).toBeNull();
    expect(got.deltas).toEqual(["The ", "quick ", "brown ", "fox."]);
    expect(got.done).toEqual({ type: "done", usage: { inputTokens: 11, outputTokens: 4 }, finishReason: "stop" });
  });

  it("reassembles events split at odd byte boundaries, multi-byte characters included", async () => {
    const chunks = ["Grüße ", "aus ", "Zürich ", "🏔️🎉 ", "ça ", "va? ", "日本語", '\n"quoted"\n'];
    server.script({ chunks, splitEveryBytes: 7 });
    const got = await collect(ask());
    expect(got.error).toBeNull();
    expect(got.text).toBe(chunks.join(""));
    expect(got.done?.finishReason).toBe("stop");
  });

  it("really receives the bytes in small pieces (through an injected fetch)", async () => {
    const sizes: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = res.body!.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, ctl) {
            sizes.push(chunk.byteLength);
            ctl.enqueue(chunk);
          },
        }),
      );
      return new Response(body, { status: res.status, headers: res.headers });
    };
    server.script({ chunks: ["ab", "cd"], splitEveryBytes: 7 });
    const got = await collect(pc.make(server, { fetch: counting }).stream({ model: "m", messages: [{ role: "user", text: "x" }] }));
    expect(got.text).toBe("abcd");
    // TCP may still coalesce a few pieces on a busy machine; most reads must be the small ones.
    expect(sizes.length).toBeGreaterThan(10);
    expect(sizes.filter((n) => n <= 7).length).toBeGreaterThan(sizes.length / 2);
  });

  it("splits every single byte and still decodes", async () => {
    server.script({ chunks: ["é", "🎉", "ok"], splitEveryBytes: 1 });
    expect((await collect(ask())).text).toBe("é🎉ok");
  });

  it("reports a max-tokens stop as finishReason 'length'", async () => {
    server.script({ chunks: ["cut"], finishReason: "length" });
    expect((await collect(ask())).done?.finishReason).toBe("length");
  });

  it("reports usage null when the provider sends none", async () => {
    server.script({ chunks: ["x"], usage: null });
    const got = await collect(ask());
    expect(got.error).toBeNull();
    // Anthropic always has message_start usage; the fixture then reports 0 output tokens.
    if (pc.id === "openai") expect(got.done?.usage).toBeNull();
    else expect(got.done?.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it("streams the default echo of the last user message when nothing is scripted", async () => {
    const got = await collect(ask("what is a cairn?"));
    expect(got.text).toBe("Echo: what is a cairn?");
    expect(got.deltas.length).toBeGreaterThan(2);
    expect(got.done?.usage?.outputTokens).toBe(got.deltas.length);
  });

  it("delivers deltas as they arrive, not at the end", async () => {
    server.script({ chunks: ["a", "b", "c"], chunkDelayMs: 150 });
    const arrivals: number[] = [];
    const t0 = performance.now();
    for await (const c of ask()) if (c.type === "delta") arrivals.push(performance.now() - t0);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[2] - arrivals[0]).toBeGreaterThan(200);
  });

  it("sends the whole history, in order, with the system prompt and max tokens", async () => {
    const provider = pc.make(server);
    await collect(
      provider.stream({
        model: "test-model",
        system: "be brief",
        maxTokens: 321,
        messages: [
          { role: "user", text: "one" },
          { role: "assistant", text: "two" },
          { role: "user", text: "three" },
        ],
      }),
    );
    const body = server.requests.at(-1)!.body;
    expect(body.model).toBe("test-model");
    expect(body.stream).toBe(true);
    const history = body.messages.filter((m: { role: string }) => m.role !== "system");
    expect(history).toEqual([
      { role: "user", content: "one" },
      { role: "assistant", content: "two" },
      { role: "user", content: "three" },
    ]);
    if (pc.id === "openai") {
      expect(body.messages[0]).toEqual({ role: "system", content: "be brief" });
      expect(body.max_completion_tokens).toBe(321);
      expect(body.stream_options).toEqual({ include_usage: true });
    } else {
      expect(body.system).toBe("be brief");
      expect(body.max_tokens).toBe(321);
    }
  });

  it("records when the first byte left the server", async () => {
    server.script({ chunks: ["x"], firstByteDelayMs: 80 });
    await collect(ask());
    const rec = server.requests.at(-1)!;
    expect(rec.firstByteAt! - rec.receivedAt).toBeGreaterThanOrEqual(75);
    expect(rec.endedAt).not.toBeNull();
    expect(rec.clientClosed).toBe(false);
  });
});
