import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../../../actors/llm/local/index.ts";
import { makeTinyModel, tinyModelBytes } from "../../../fixtures/gguf/index.ts";
import { cairnError, collectChunks, tempDir, TEST_THREADS } from "./local.helpers.ts";

/** A model that cannot load says which file and why, as `model_load_failed`. */
describe("local model load failures", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  const failLoad = async (file: string, opts: { totalMemoryBytes?: number } = {}) => {
    const p = createLocalProvider({ modelPath: join(dir, file), threads: TEST_THREADS, ...opts });
    const err = await cairnError(p.load());
    expect(err.code).toBe("model_load_failed");
    expect(err.message).toContain(file);
    expect(err.details).toMatchObject({ file: join(dir, file) });
    expect(p.info()).toMatchObject({ state: "failed", error: { code: "model_load_failed", message: err.message } });
    return { err, reason: (err.details as { reason: string }).reason, provider: p };
  };

  it("a missing file", async () => {
    const { err, reason } = await failLoad("nope.gguf");
    expect(reason).toBe("missing_file");
    expect(err.message).toMatch(/not found/);
  });

  it("a file that is not GGUF, and an empty one", async () => {
    await writeFile(join(dir, "notes.gguf"), "just some text, not a model\n");
    const text = await failLoad("notes.gguf");
    expect(text.reason).toBe("not_gguf");
    expect(text.err.message).toMatch(/not a GGUF model file/);

    await writeFile(join(dir, "empty.gguf"), "");
    expect((await failLoad("empty.gguf")).reason).toBe("not_gguf");
  });

  it("a GGUF truncated in its tensor data, and one truncated in its header", async () => {
    const full = tinyModelBytes();
    await writeFile(join(dir, "cut-data.gguf"), full.subarray(0, Math.floor(full.length * 0.6)));
    const data = await failLoad("cut-data.gguf");
    expect(data.reason).toBe("corrupt");
    expect(data.err.message).toMatch(/truncated or corrupt/);

    await writeFile(join(dir, "cut-header.gguf"), full.subarray(0, 100));
    expect((await failLoad("cut-header.gguf")).reason).toBe("corrupt");
  });

  it("an architecture llama.cpp does not know", async () => {
    await makeTinyModel(dir, { architecture: "nonesuch", fileName: "alien.gguf" });
    const { err, reason } = await failLoad("alien.gguf");
    expect(reason).toBe("unsupported_architecture");
    expect(err.message).toMatch(/architecture "nonesuch"/);
  });

  it("a model larger than the machine's memory", async () => {
    await makeTinyModel(dir, { fileName: "big.gguf" });
    const { err, reason } = await failLoad("big.gguf", { totalMemoryBytes: 64 * 1024 });
    expect(reason).toBe("out_of_memory");
    expect(err.message).toMatch(/not enough memory/);
  });

  it("a stream on a model that cannot load fails with the load error; a fixed file loads on the next try", async () => {
    const p = createLocalProvider({ modelPath: join(dir, "later.gguf"), threads: TEST_THREADS, sampling: { temperature: 0 } });
    const err = await cairnError(collectChunks(p.stream({ model: "later", messages: [{ role: "user", text: "hi" }], maxTokens: 2 })));
    expect(err.code).toBe("model_load_failed");

    await makeTinyModel(dir, { fileName: "later.gguf" });
    const chunks = await collectChunks(p.stream({ model: "later", messages: [{ role: "user", text: "hi" }], maxTokens: 2 }));
    expect(chunks.at(-1)).toMatchObject({ type: "done", usage: { outputTokens: 2 } });
    expect(p.info()).toMatchObject({ state: "ready", error: null });
    await p.unload();
  });
});
