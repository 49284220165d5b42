import { describe, expect, test } from "vitest";
import { CooldownTracker } from "../../../actors/run/cooldown.tracker.ts";
import { COOLDOWN_MAX_MS, cooldownMs, fallbackChain, isRetryable } from "../../../actors/run/fallback.policy.ts";
import type { AnyStoredEvent, WireError } from "../../../schemas/index.ts";

const rateLimited = (retryAfterSeconds: number | null = null): WireError => ({
  code: "provider_rate_limited",
  message: "slow down",
  details: { provider: "openai", status: 429, retryAfterSeconds },
});
const e500: WireError = { code: "provider_error", message: "boom", details: { provider: "openai", status: 500 } };

let seq = 0;
const ev = (runId: string, type: string, data: unknown, time = 0): AnyStoredEvent =>
  ({
    seq: ++seq,
    type,
    version: 1,
    id: `e${seq}`,
    kind: "run",
    aggregateId: runId,
    time,
    correlationId: undefined,
    causationId: undefined,
    data,
  }) as AnyStoredEvent;

describe("fallback policy", () => {
  test("retryable: rate limits, overload, 5xx, unreachable, timeouts; not auth, bad requests, unknown models, long prompts", () => {
    for (const e of [
      rateLimited(),
      e500,
      { code: "provider_overloaded" },
      { code: "provider_unreachable" },
      { code: "timeout" },
    ] as WireError[]) {
      expect(isRetryable(e)).toBe(true);
    }
    for (const code of ["provider_auth", "bad_request", "model_unknown", "model_not_configured", "context_too_long"] as const) {
      expect(isRetryable({ code, message: "x" } as WireError)).toBe(false);
    }
    expect(isRetryable({ code: "provider_error", message: "400", details: { status: 400 } } as WireError)).toBe(false);
  });

  test("backoff doubles from 30 s up to 10 min; a longer Retry-After wins", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => cooldownMs(n, e500) / 1000)).toEqual([30, 60, 120, 240, 480, 600, 600]);
    expect(cooldownMs(1, rateLimited(7))).toBe(30_000);
    expect(cooldownMs(1, rateLimited(120))).toBe(120_000);
    expect(cooldownMs(6, rateLimited(900))).toBe(900_000);
    // A bogus Retry-After cannot disable a model for days.
    expect(cooldownMs(1, rateLimited(10 * 86_400))).toBe(3_600_000);
  });

  test("the chain is the run's model, then the fallbacks, each once", () => {
    expect(fallbackChain("a/x", ["b/y", "a/x", "c/z", "b/y"])).toEqual(["a/x", "b/y", "c/z"]);
  });
});

describe("the cooldown tracker", () => {
  test("a failure cools the model until its deadline; success resets the backoff", () => {
    const t = new CooldownTracker();
    const until = t.nextUntil("a/x", e500, 1000);
    expect(until).toBe(31_000);
    t.failed("a/x", until, e500, 1000);
    expect(t.active("a/x", 30_999)).toMatchObject({ until, failures: 1, error: { code: "provider_error" } });
    expect(t.active("a/x", 31_000)).toBeNull();
    // Failing again right after: the second cooldown is twice as long.
    expect(t.nextUntil("a/x", e500, 31_000)).toBe(31_000 + 60_000);
    t.succeeded("a/x");
    expect(t.nextUntil("a/x", e500, 31_000)).toBe(31_000 + 30_000);
  });

  test("consecutive failures are forgotten once the model stayed clear for the longest backoff", () => {
    const t = new CooldownTracker();
    t.failed("a/x", 31_000, e500, 1000);
    expect(t.nextUntil("a/x", e500, 31_000 + COOLDOWN_MAX_MS + 1)).toBe(31_000 + COOLDOWN_MAX_MS + 1 + 30_000);
  });

  test("recording is idempotent: a replayed event or a skip of a cooling model changes nothing", () => {
    const t = new CooldownTracker();
    t.failed("a/x", 31_000, e500, 1000);
    t.failed("a/x", 31_000, e500, 1000);
    t.failed("a/x", 20_000, rateLimited(), 2000);
    expect(t.active("a/x", 5000)).toMatchObject({ until: 31_000, failures: 1 });
  });

  test("rebuilt from run events: switches cool, completions clear, exhausted chains cool every model tried", () => {
    const t = new CooldownTracker();
    t.apply(ev("r1", "run.started", { runId: "r1", sessionKey: "s", model: "a/x", triggerMessageId: "m" }, 1000));
    t.apply(ev("r1", "run.model_switched", { from: "a/x", to: "b/y", error: e500, cooldownUntil: 31_000 }, 1000));
    t.apply(ev("r1", "run.completed", { text: "hi", usage: null, finishReason: "stop" }, 1100));
    expect(t.active("a/x", 2000)).toMatchObject({ until: 31_000 });
    expect(t.active("b/y", 2000)).toBeNull();

    t.apply(ev("r2", "run.started", { runId: "r2", sessionKey: "s", model: "b/y", triggerMessageId: "m" }, 2000));
    const tried = [
      { model: "b/y", cooldownUntil: 40_000, error: rateLimited() },
      { model: "c/z", cooldownUntil: null, error: e500 },
    ];
    t.apply(
      ev("r2", "run.failed", { error: { code: "provider_error", message: "all failed", details: { tried } }, partialText: "" }, 2000),
    );
    expect(t.active("b/y", 3000)).toMatchObject({ until: 40_000, error: { code: "provider_rate_limited" } });
    expect(t.active("c/z", 3000)).toBeNull();

    // A later success on the cooled model clears it.
    t.apply(ev("r3", "run.started", { runId: "r3", sessionKey: "s", model: "a/x", triggerMessageId: "m" }, 40_000));
    t.apply(ev("r3", "run.completed", { text: "ok", usage: null, finishReason: "stop" }, 40_001));
    expect(t.active("a/x", 20_000)).toBeNull();
  });

  test("a failed run whose details are not a chain's story is ignored", () => {
    const t = new CooldownTracker();
    t.apply(
      ev("r1", "run.failed", {
        error: { code: "provider_auth", message: "bad key", details: { provider: "openai", status: 401 } },
        partialText: "",
      }),
    );
    t.apply(ev("r1", "run.failed", { error: { code: "provider_error", message: "x", details: { tried: "nonsense" } }, partialText: "" }));
    expect(t.active("a/x", 0)).toBeNull();
  });
});
