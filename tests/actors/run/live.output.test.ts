import { describe, expect, test } from "vitest";
import { liveOutput } from "../../../actors/run/live.output.ts";

describe("live output of a running call", () => {
  test("chunks are batched per stream, sent on a timer or at the flush size, and what is left goes on close", async () => {
    const sent: Array<[string, string]> = [];
    const out = liveOutput((s, t) => sent.push([s, t]), { intervalMs: 20, flushBytes: 10 });
    out.write("stdout", "ab");
    out.write("stdout", "cd");
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(sent).toEqual([["stdout", "abcd"]]);
    out.write("stdout", "0123456789");
    expect(sent.at(-1)).toEqual(["stdout", "0123456789"]);
    out.write("stdout", "x");
    out.write("stderr", "oops");
    expect(sent.at(-1)).toEqual(["stdout", "x"]);
    out.close();
    expect(sent.at(-1)).toEqual(["stderr", "oops"]);
  });

  test("a call streams at most maxBytes, then says the result has the rest", () => {
    const sent: string[] = [];
    const out = liveOutput((_s, t) => sent.push(t), { maxBytes: 8 });
    out.write("stdout", "12345");
    out.write("stdout", "67890");
    out.write("stdout", "more");
    out.close();
    expect(sent.join("")).toBe("12345678\n[live output stops here; the result has the rest]\n");
  });
});
