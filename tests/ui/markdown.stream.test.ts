/**
 * A streaming reply's markdown, cut into blocks so each delta re-renders only the growing end:
 * the cut never falls inside a code fence, a finished block is rendered once, and the blocks
 * together are the whole text.
 */
import { describe, expect, test } from "vitest";
import { MarkdownStream } from "../../ui/src/lib/markdown.stream.ts";

/** A renderer that records what it was asked to render. */
const recording = () => {
  const calls: string[] = [];
  const render = (t: string) => {
    calls.push(t);
    return `<p>${t.trim()}</p>`;
  };
  return { calls, render };
};

/** Feeds `text` in pieces of `step` characters, as deltas arrive. */
const stream = (text: string, step: number, render: (t: string) => string) => {
  const s = new MarkdownStream(render);
  let blocks = s.update("");
  for (let i = step; i < text.length + step; i += step) blocks = s.update(text.slice(0, i));
  return blocks;
};

describe("MarkdownStream", () => {
  test("blocks end at blank lines and together are the whole text", () => {
    const text = "First paragraph.\n\nSecond one,\nstill second.\n\n- a\n- b\n";
    const r = recording();
    const blocks = stream(text, 3, r.render);
    expect(blocks.map((b) => b.text).join("")).toBe(text);
    expect(blocks.map((b) => b.text)).toEqual(["First paragraph.\n\n", "Second one,\nstill second.\n\n", "- a\n- b\n"]);
  });

  test("a blank line inside a code fence does not cut the block", () => {
    const text = "Here:\n\n```python\ndef f():\n\n    return 1\n```\n\nDone.";
    const blocks = stream(text, 5, recording().render);
    expect(blocks.map((b) => b.text)).toEqual(["Here:\n\n", "```python\ndef f():\n\n    return 1\n```\n\n", "Done."]);
  });

  test("each finished block is rendered once: the work per delta does not grow with the reply", () => {
    const para = "word ".repeat(40).trim();
    const text = Array.from({ length: 200 }, () => para).join("\n\n");
    const r = recording();
    stream(text, 7, r.render);
    // Everything rendered is the growing tail, or a finished block once: never the whole reply.
    const longest = Math.max(...r.calls.map((c) => c.length));
    expect(longest).toBeLessThanOrEqual(para.length + 2);
    const total = r.calls.reduce((n, c) => n + c.length, 0);
    // Re-rendering the tail per delta costs about one paragraph per delta, not the reply so far.
    expect(total).toBeLessThan((text.length / 7) * (para.length + 2));
    expect(total).toBeLessThan(text.length * 40);
  });

  test("a text that is not a continuation (a replay that filled a gap) starts over", () => {
    const r = recording();
    const s = new MarkdownStream(r.render);
    s.update("One.\n\nTwo.");
    const blocks = s.update("Uno.\n\nDos.\n\nTres");
    expect(blocks.map((b) => b.text)).toEqual(["Uno.\n\n", "Dos.\n\n", "Tres"]);
  });
});
