/**
 * The memory index's two vector searches on the real sqlite-vec: exact (float KNN) and binary
 * (KNN over centred sign bits, then exact rescoring), which large spaces use. Both must find a
 * chunk from its own vector, rank by the exact distance, and forget a removed file's vectors.
 */
import { describe, expect, test } from "vitest";
import { MemoryIndex, contentHash, openMemoryDb } from "../../../actors/memory/index.ts";

const DIMS = 64;
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
// Every vector shares an offset (as a model's do): sign bits only work once it is taken out.
const vec = () => {
  const v = Float32Array.from({ length: DIMS }, () => 0.5 + (rand() - 0.5));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

const build = () => {
  const index = new MemoryIndex(openMemoryDb(":memory:"));
  const vectors: Float32Array[] = [];
  const ids: number[] = [];
  for (let f = 0; f < 10; f++) {
    const chunks = Array.from({ length: 30 }, (_, j) => {
      const text = `file ${f} chunk ${j}`;
      return { startLine: j + 1, endLine: j + 1, heading: "", text, hash: contentHash(text) };
    });
    ids.push(...index.replaceFile({ path: `/m/f${f}.md`, display: `memory/f${f}.md`, hash: String(f), size: 0, now: 0 }, chunks));
  }
  for (const _ of ids) vectors.push(vec());
  index.storeVectors("test/e", ids, vectors);
  return { index, ids, vectors };
};

describe("vector search in the memory index", () => {
  test("binary search finds each chunk from its own vector, ranked by exact distance like the exact search", () => {
    const { index, ids, vectors } = build();
    let agree = 0;
    for (let i = 0; i < ids.length; i += 15) {
      const exact = index.vectorSearch("test/e", vectors[i], 5, undefined, { exactBelow: Number.POSITIVE_INFINITY });
      const binary = index.vectorSearch("test/e", vectors[i], 5, undefined, { exactBelow: 0, oversample: 8 });
      expect(exact[0]).toBe(ids[i]);
      expect(binary[0]).toBe(ids[i]);
      agree += binary.filter((id) => exact.includes(id)).length;
    }
    // Rescored exactly: what the binary step keeps is in exact order, and most of the exact top 5 is found.
    expect(agree / (5 * Math.ceil(ids.length / 15))).toBeGreaterThan(0.6);
  });

  test("a removed file's chunks leave both vector tables", () => {
    const { index, ids, vectors } = build();
    expect(index.removeFile("/m/f0.md")).toBe(true);
    const gone = new Set(ids.slice(0, 30));
    for (const mode of [{ exactBelow: 0 }, { exactBelow: Number.POSITIVE_INFINITY }]) {
      const found = index.vectorSearch("test/e", vectors[0], 20, undefined, mode);
      expect(found).toHaveLength(20);
      expect(found.filter((id) => gone.has(id))).toEqual([]);
    }
  });
});
