import { describe, expect, it } from "vitest";
import { backoffDelay, baseDelay, jittered } from "../../../cli/node/index.ts";

describe("reconnect backoff", () => {
  it("doubles from 1 s and stays at 30 s", () => {
    expect(Array.from({ length: 8 }, (_, i) => baseDelay(i))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(baseDelay(10_000)).toBe(30_000);
  });

  it("jitter stays within ±25% and covers the range", () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = baseDelay(attempt);
      expect(backoffDelay(attempt, () => 0)).toBe(Math.round(base * 0.75));
      expect(backoffDelay(attempt, () => 0.5)).toBe(base);
      expect(backoffDelay(attempt, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.25));
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt);
        expect(d).toBeGreaterThanOrEqual(Math.round(base * 0.75));
        expect(d).toBeLessThanOrEqual(Math.round(base * 1.25));
      }
    }
    expect(jittered(60_000, () => 0)).toBe(45_000);
  });
});
