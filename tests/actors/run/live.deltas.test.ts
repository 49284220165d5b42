/**
 * Reply deltas on their way to the live stream: one at a time when they come slowly (no added
 * latency), joined when they come faster than the window, never reordered or lost.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { liveDeltas } from "../../../actors/run/live.deltas.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("liveDeltas", () => {
  test("a delta after a quiet moment goes out at once", () => {
    const sent: string[] = [];
    const out = liveDeltas((t) => sent.push(t), { windowMs: 4, now: () => Date.now() });
    out.write("Hel");
    expect(sent).toEqual(["Hel"]);
    vi.advanceTimersByTime(20);
    out.write("lo");
    expect(sent).toEqual(["Hel", "lo"]);
  });

  test("deltas within the window are joined and sent when it closes, in order", () => {
    const sent: string[] = [];
    const out = liveDeltas((t) => sent.push(t), { windowMs: 4, now: () => Date.now() });
    out.write("a");
    out.write("b");
    out.write("c");
    expect(sent).toEqual(["a"]);
    vi.advanceTimersByTime(4);
    expect(sent).toEqual(["a", "bc"]);
  });

  test("maxChars sends at once; close sends what is left; empty deltas send nothing", () => {
    const sent: string[] = [];
    const out = liveDeltas((t) => sent.push(t), { windowMs: 4, maxChars: 5, now: () => Date.now() });
    out.write("x");
    out.write("");
    out.write("1234");
    out.write("56");
    expect(sent).toEqual(["x", "123456"]);
    out.write("z");
    out.close();
    expect(sent).toEqual(["x", "123456", "z"]);
    vi.advanceTimersByTime(10);
    expect(sent.join("")).toBe("x123456z");
  });
});
