import { describe, expect, test } from "vitest";
import { chunkMarkdown, fuse } from "../../../actors/memory/index.ts";

describe("chunkMarkdown", () => {
  test("one chunk per heading section, with the heading path and 1-based inclusive lines", () => {
    const md = ["intro line", "", "# Travel", "notes", "## Iceland", "Reykjavík", "```", "# not a heading", "```", "# Food", "bread"].join(
      "\n",
    );
    const chunks = chunkMarkdown(md);
    expect(chunks.map((c) => [c.heading, c.startLine, c.endLine])).toEqual([
      ["", 1, 1],
      ["Travel", 3, 4],
      ["Travel › Iceland", 5, 9],
      ["Food", 10, 11],
    ]);
    expect(chunks[2].text).toContain("# not a heading");
  });

  test("a long section is split on lines with overlap, and every line is covered", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1} ${"x".repeat(40)}`);
    const chunks = chunkMarkdown(["# Big", ...lines].join("\n"), { maxChars: 300, overlapLines: 2 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(300);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].startLine).toBe(chunks[i - 1].endLine - 1);
    expect(chunks[0].startLine).toBe(1);
    expect(chunks.at(-1)?.endLine).toBe(41);
  });

  test("a line longer than the limit is a chunk of its own, never cut; empty sections are dropped", () => {
    const chunks = chunkMarkdown(`# A\n${"y".repeat(500)}\n\n\n`, { maxChars: 100 });
    expect(chunks.some((c) => c.text.includes("y".repeat(500)))).toBe(true);
    expect(chunkMarkdown("\n\n  \n")).toEqual([]);
  });
});

describe("reciprocal rank fusion", () => {
  test("found by both beats found by one; ranks add 1/(60+rank)", () => {
    const r = fuse([
      { via: "fts", ids: [1, 2, 3] },
      { via: "vector", ids: [3, 4] },
    ]);
    expect(r[0]).toMatchObject({ id: 3, via: ["fts", "vector"] });
    expect(r[0].score).toBeCloseTo(1 / 63 + 1 / 61);
    expect(r.map((x) => x.id)).toEqual([3, 1, 2, 4]);
  });
});
