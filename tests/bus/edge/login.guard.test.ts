import { describe, expect, test } from "vitest";
import { LoginGuard } from "../../../bus/edge/login.guard.ts";

describe("LoginGuard", () => {
  test("a client gets `burst` wrong guesses, then waits; others are not affected; time refills", () => {
    let now = 0;
    const g = new LoginGuard({ burst: 3, refillMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(g.retryAfter("a")).toBe(0);
      g.failed("a");
    }
    expect(g.retryAfter("a")).toBe(10);
    expect(g.retryAfter("b")).toBe(0);
    now += 10_000;
    expect(g.retryAfter("a")).toBe(0);
    g.failed("a");
    expect(g.retryAfter("a")).toBeGreaterThan(0);
  });
});
