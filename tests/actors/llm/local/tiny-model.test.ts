import { readFile, stat } from "node:fs/promises";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHATML_TEMPLATE,
  encodeGguf,
  kv,
  makeTinyModel,
  TINY_MODEL_DEFAULTS,
  TINY_VOCAB_SIZE,
  tinyModelBytes,
  tinyModelCached,
} from "../../../fixtures/gguf/index.ts";
import { tempDir } from "./local.helpers.ts";

/**
 * The GGUF maker checked against an independent reader (node-llama-cpp's JS GGUF parser), before
 * llama.cpp itself loads the file in the provider tests.
 */
describe("tiny GGUF model maker", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it("writes a GGUF v3 llama model with the expected metadata and tensors", async () => {
    const path = await makeTinyModel(dir);
    const head = await readFile(path).then((b) => b.subarray(0, 8));
    expect(head.toString("latin1", 0, 4)).toBe("GGUF");
    expect(head.readUInt32LE(4)).toBe(3);

    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(md.general.architecture).toBe("llama");
    expect(md.general.alignment).toBe(32);
    const llama = md.llama as Record<string, any>;
    expect(llama.embedding_length).toBe(TINY_MODEL_DEFAULTS.embeddingLength);
    expect(llama.block_count).toBe(TINY_MODEL_DEFAULTS.blockCount);
    expect(llama.attention.head_count_kv).toBe(TINY_MODEL_DEFAULTS.headCountKv);
    const tok = md.tokenizer as Record<string, any>;
    expect(tok.ggml.model).toBe("llama");
    expect(tok.ggml.tokens).toHaveLength(TINY_VOCAB_SIZE);
    // all 256 byte tokens, typed BYTE (6)
    for (let b = 0; b < 256; b++) {
      expect(tok.ggml.tokens[3 + b]).toBe(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
      expect(tok.ggml.token_type[3 + b]).toBe(6);
    }
    expect(tok.chat_template).toBeUndefined();

    const names = info.fullTensorInfo!.map((t) => t.name);
    expect(names).toContain("token_embd.weight");
    expect(names).toContain("output.weight");
    expect(names).toContain(`blk.${TINY_MODEL_DEFAULTS.blockCount - 1}.ffn_down.weight`);
    const embd = info.fullTensorInfo!.find((t) => t.name === "token_embd.weight")!;
    expect(embd.dimensions.map(Number)).toEqual([TINY_MODEL_DEFAULTS.embeddingLength, TINY_VOCAB_SIZE]);
    for (const t of info.fullTensorInfo!) expect(Number(t.offset) % 32).toBe(0);
  });

  it("is deterministic per spec, cached, and differs when the spec does", async () => {
    expect(tinyModelBytes().equals(tinyModelBytes())).toBe(true);
    expect(tinyModelBytes({ seed: 7 }).equals(tinyModelBytes())).toBe(false);
    const a = await tinyModelCached();
    const b = await tinyModelCached();
    expect(a).toBe(b);
    const copied = await makeTinyModel(dir, { fileName: "copy.gguf" });
    expect((await stat(copied)).size).toBe((await stat(a)).size);
    expect(await tinyModelCached({ chatTemplate: CHATML_TEMPLATE })).not.toBe(a);
  });

  it("pads every tensor to the alignment and rejects mismatched shapes", () => {
    const buf = encodeGguf(
      [["general.architecture", kv.str("llama")]],
      [
        { name: "a", dims: [3], type: 0, data: new Float32Array(3) },
        { name: "b", dims: [2, 2], type: 1, data: new Float32Array([1, -2, 0.5, 65504]) },
      ],
    );
    expect(buf.length % 32).toBe(0);
    // f16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff (the largest half)
    expect([...new Uint16Array(buf.buffer.slice(buf.byteOffset + buf.length - 32, buf.byteOffset + buf.length - 24))]).toEqual([
      0x3c00, 0xc000, 0x3800, 0x7bff,
    ]);
    expect(() => encodeGguf([], [{ name: "x", dims: [2, 2], type: 0, data: new Float32Array(3) }])).toThrow(/values for dims/);
  });
});
