import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalProvider, llamaRuntimeInfo, type LoadProgress, type LocalProvider } from "../../../../actors/llm/local/index.ts";
import type { StreamChunk } from "../../../../actors/llm/provider.ts";
import { CairnError } from "../../../../schemas/errors.ts";
import { CHATML_TEMPLATE, makeTinyModel, TINY_MODEL_DEFAULTS } from "../../../fixtures/gguf/index.ts";
import { cairnError, collectChunks, tempDir, TEST_THREADS } from "./local.helpers.ts";

/**
 * Real local inference: node-llama-cpp's prebuilt llama.cpp on a tiny random-weight GGUF the
 * tests generate. Output is gibberish, so the assertions are about counts, types and timing.
 */

const hello = { model: "tiny-llama", system: "Be brief.", messages: [{ role: "user" as const, text: "Hello there" }] };

const deltas = (chunks: StreamChunk[]) => chunks.filter((c): c is Extract<StreamChunk, { type: "delta" }> => c.type === "delta");
const done = (chunks: StreamChunk[]) => chunks.filter((c): c is Extract<StreamChunk, { type: "done" }> => c.type === "done");

describe("local provider (node-llama-cpp, tiny GGUF)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let modelPath: string;
  let provider: LocalProvider;
  const progress: LoadProgress[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    modelPath = await makeTinyModel(dir);
    provider = createLocalProvider({
      modelPath,
      threads: TEST_THREADS,
      sampling: { temperature: 0 },
      onProgress: (p) => progress.push(p),
    });
  });
  afterAll(async () => {
    await provider?.unload();
    await cleanup();
  });

  it("uses the prebuilt llama.cpp binary: nothing is built or downloaded", async () => {
    const rt = await llamaRuntimeInfo("cpu");
    expect(rt.buildType).toBe("prebuilt");
    expect(rt.gpu).toBe(false);
  });

  it("is unloaded until first used, and says tools are off", () => {
    const info = provider.info();
    expect(info.state).toBe("unloaded");
    expect(info.supportsTools).toBe(false);
    expect(info.threads).toBe(TEST_THREADS);
    expect(info.contextSize).toBeNull();
  });

  it("loads with progress, then streams deltas and one done with usage", async () => {
    await provider.load();
    expect(progress[0]).toEqual({ phase: "loading", progress: 0 });
    expect(progress.at(-1)).toEqual({ phase: "ready", progress: 1 });
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b)); // never goes backwards
    expect(progress.filter((p) => p.phase === "ready")).toHaveLength(1);

    const info = provider.info();
    expect(info).toMatchObject({
      state: "ready",
      progress: 1,
      threads: TEST_THREADS,
      gpuLayers: 0,
      gpu: false,
      architecture: "llama",
      embeddingLength: TINY_MODEL_DEFAULTS.embeddingLength,
      trainContextSize: TINY_MODEL_DEFAULTS.contextLength,
      hasChatTemplate: false,
    });
    expect(info.contextSize).toBeGreaterThan(0);
    expect(info.chatWrapper).toEqual(expect.any(String)); // a fallback wrapper, the model has no template

    const chunks = await collectChunks(provider.stream({ ...hello, maxTokens: 16 }));
    expect(deltas(chunks).length).toBeGreaterThan(1);
    expect(deltas(chunks).every((d) => typeof d.text === "string" && d.text.length > 0)).toBe(true);
    expect(
      deltas(chunks)
        .map((d) => d.text)
        .join("").length,
    ).toBeGreaterThan(0);
    expect(done(chunks)).toHaveLength(1);
    expect(chunks.at(-1)!.type).toBe("done");
    const last = done(chunks)[0];
    expect(last.finishReason).toBe("length"); // the tiny model never emits end-of-generation
    expect(last.usage!.inputTokens).toBeGreaterThan(0);
    expect(last.usage!.outputTokens).toBe(16);
  });

  it("a second stream reuses the loaded model (no reload) and its cached prompt", async () => {
    const before = provider.info();
    const loads = progress.length;
    const chunks = await collectChunks(provider.stream({ ...hello, maxTokens: 8 }));
    expect(done(chunks)[0].usage).toMatchObject({ outputTokens: 8 });
    expect(done(chunks)[0].usage!.cacheReadTokens).toBeGreaterThan(0);
    expect(progress.length).toBe(loads);
    expect(provider.info().loadMs).toBe(before.loadMs);
  });

  it("greedy decoding is deterministic", async () => {
    const text = async () =>
      deltas(await collectChunks(provider.stream({ ...hello, maxTokens: 12 })))
        .map((d) => d.text)
        .join("");
    expect(await text()).toBe(await text());
  });

  it("cancels mid-stream promptly with run_interrupted", async () => {
    const ac = new AbortController();
    let seen = 0;
    let abortedAt = 0;
    const err = await cairnError(
      (async () => {
        for await (const c of provider.stream({ ...hello, maxTokens: 100_000, signal: ac.signal })) {
          if (c.type === "delta" && ++seen === 3) {
            abortedAt = Date.now();
            ac.abort();
          }
        }
      })(),
    );
    expect(err.code).toBe("run_interrupted");
    expect(seen).toBe(3); // nothing is delivered after the abort
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    // the sequence is free again
    const after = await collectChunks(provider.stream({ ...hello, maxTokens: 4 }));
    expect(done(after)).toHaveLength(1);
  });

  it("an abort with a CairnError reason throws that error; an aborted signal never starts", async () => {
    const ac = new AbortController();
    const reason = new CairnError("timeout", "run took too long");
    const err = await cairnError(
      (async () => {
        for await (const c of provider.stream({ ...hello, maxTokens: 100_000, signal: ac.signal }))
          if (c.type === "delta") ac.abort(reason);
      })(),
    );
    expect(err).toBe(reason);

    const pre = new AbortController();
    pre.abort();
    expect((await cairnError(collectChunks(provider.stream({ ...hello, signal: pre.signal })))).code).toBe("run_interrupted");
  });

  it("a consumer that stops reading early frees the model for the next request", async () => {
    for await (const c of provider.stream({ ...hello, maxTokens: 100_000 })) if (c.type === "delta") break;
    const chunks = await collectChunks(provider.stream({ ...hello, maxTokens: 4 }));
    expect(done(chunks)[0].usage!.outputTokens).toBe(4);
  });

  it("serializes concurrent requests on the one sequence", async () => {
    const results = await Promise.all(
      ["one", "two", "three"].map((q) =>
        collectChunks(provider.stream({ model: "tiny-llama", messages: [{ role: "user", text: q }], maxTokens: 6 })),
      ),
    );
    for (const r of results) {
      expect(done(r)).toHaveLength(1);
      expect(done(r)[0].usage!.outputTokens).toBe(6);
    }
    expect(provider.info().activeRequests).toBe(0);
  });

  it("trims the oldest turns of a conversation longer than the context; refuses a message that cannot fit", async () => {
    const small = createLocalProvider({ modelPath, threads: TEST_THREADS, contextSize: 256, sampling: { temperature: 0 } });
    try {
      const long = "word ".repeat(60); // ~300 tokens with the byte vocabulary
      const messages = [];
      for (let i = 0; i < 4; i++) messages.push({ role: "user" as const, text: long }, { role: "assistant" as const, text: "ok" });
      messages.push({ role: "user" as const, text: "and now?" });
      const chunks = await collectChunks(small.stream({ model: "tiny-llama", system: "Be brief.", messages, maxTokens: 8 }));
      const usage = done(chunks)[0].usage!;
      expect(usage.outputTokens).toBe(8);
      expect(usage.inputTokens).toBeLessThan(256);
      expect(usage.inputTokens).toBeGreaterThan("and now?".length);

      // Without maxTokens a reply stops where the context ends (this model never stops by itself).
      const open = done(await collectChunks(small.stream({ model: "tiny-llama", messages: [{ role: "user", text: "hi" }] })))[0];
      expect(open.finishReason).toBe("length");
      expect(open.usage!.inputTokens + open.usage!.outputTokens).toBe(256);

      const err = await cairnError(
        collectChunks(small.stream({ model: "tiny-llama", messages: [{ role: "user", text: long }], maxTokens: 8 })),
      );
      expect(err.code).toBe("context_too_long");
      expect(err.message).toMatch(/256-token context/);
    } finally {
      await small.unload();
    }
  });

  it("embeds texts into vectors of the embedding length", async () => {
    const [a, b, a2] = await provider.embed(["hello world", "something else entirely", "hello world"]);
    for (const v of [a, b, a2]) {
      expect(v).toHaveLength(TINY_MODEL_DEFAULTS.embeddingLength);
      expect(v.every((x) => Number.isFinite(x))).toBe(true);
    }
    expect(a2).toEqual(a);
    expect(b).not.toEqual(a);
    expect(await provider.embed([])).toEqual([]);
  });

  it("unload interrupts an active stream, frees the model, and the next stream reloads it", async () => {
    const ac = new AbortController();
    let first = true;
    const streaming = cairnError(
      (async () => {
        for await (const c of provider.stream({ ...hello, maxTokens: 100_000, signal: ac.signal })) {
          if (c.type === "delta" && first) {
            first = false;
            void provider.unload();
          }
        }
      })(),
    );
    const err = await streaming;
    expect(err.code).toBe("run_interrupted");
    expect(err.message).toMatch(/unloaded/);
    await provider.unload();
    expect(provider.info()).toMatchObject({ state: "unloaded", contextSize: null });

    const loads = progress.filter((p) => p.phase === "ready").length;
    const chunks = await collectChunks(provider.stream({ ...hello, maxTokens: 4 }));
    expect(done(chunks)).toHaveLength(1);
    expect(progress.filter((p) => p.phase === "ready").length).toBe(loads + 1);
    expect(provider.info().state).toBe("ready");
  });

  it("respects the threads option", async () => {
    const two = createLocalProvider({ modelPath, threads: 2 });
    try {
      expect(two.info().threads).toBe(2);
      await two.load();
      expect(two.info().threads).toBe(2);
    } finally {
      await two.unload();
    }
    expect(() => createLocalProvider({ modelPath, threads: 0 })).toThrow(/threads/);
  });

  it("detects the chat template from the model's metadata", async () => {
    const path = await makeTinyModel(dir, { chatTemplate: CHATML_TEMPLATE, fileName: "chatml.gguf" });
    const chatml = createLocalProvider({ modelPath: path, threads: TEST_THREADS, sampling: { temperature: 0 } });
    try {
      await chatml.load();
      expect(chatml.info()).toMatchObject({ hasChatTemplate: true, chatWrapper: "ChatML" });
      const chunks = await collectChunks(chatml.stream({ ...hello, maxTokens: 4 }));
      expect(done(chunks)[0].usage!.outputTokens).toBe(4);
    } finally {
      await chatml.unload();
    }
  });
});
