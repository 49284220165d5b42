import { describe, expect, test } from "vitest";
import { retry } from "../../bus/index.ts";
import { CairnError } from "../../schemas/index.ts";

/** Runs `retry` over a function that fails `failures` times (with the given errors), recording when each attempt started. */
function flaky(errors: unknown[]) {
  const starts: number[] = [];
  const attempts: number[] = [];
  const fn = async (attempt: number): Promise<string> => {
    starts.push(performance.now());
    attempts.push(attempt);
    if (attempts.length <= errors.length) throw errors[attempts.length - 1];
    return "done";
  };
  const gaps = () => starts.slice(1).map((t, i) => t - starts[i]);
  return { fn, starts, attempts, gaps };
}

const unavailable = () => new CairnError("unavailable", "bus down");

describe("retry", () => {
  test("returns the first success, numbering attempts from 1", async () => {
    const f = flaky([unavailable(), unavailable()]);
    await expect(retry(f.fn, { attempts: 3, baseMs: 1 })).resolves.toBe("done");
    expect(f.attempts).toEqual([1, 2, 3]);
  });

  test("gives up after `attempts` in all and throws the last failure itself", async () => {
    const errors = [unavailable(), unavailable(), unavailable()];
    const f = flaky([...errors, unavailable()]);
    const err = await retry(f.fn, { attempts: 3, baseMs: 1 }).catch((e) => e);
    expect(err).toBe(errors[2]);
    expect(f.attempts).toEqual([1, 2, 3]);
  });

  test("throws a failure `retryable` refuses at once, without waiting", async () => {
    const conflict = new CairnError("conflict", "another writer");
    const f = flaky([unavailable(), conflict]);
    const retried: unknown[] = [];
    const err = await retry(f.fn, {
      attempts: 5,
      baseMs: 1,
      retryable: (e) => e instanceof CairnError && e.code === "unavailable",
      onRetry: (e, attempt) => retried.push([(e as CairnError).code, attempt]),
    }).catch((e) => e);
    expect(err).toBe(conflict);
    expect(f.attempts).toEqual([1, 2]);
    // Only the failure that was retried is reported, with the attempt that failed.
    expect(retried).toEqual([["unavailable", 1]]);
  });

  test("waits base × factor^n between attempts, capped at maxMs", async () => {
    const f = flaky([unavailable(), unavailable(), unavailable(), unavailable()]);
    await retry(f.fn, { attempts: 5, baseMs: 20, factor: 2, maxMs: 50 });
    const gaps = f.gaps();
    // Timers never fire early; a busy machine may fire them late, so upper bounds are loose.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(49);
    expect(gaps[3]).toBeGreaterThanOrEqual(49);
    // Uncapped, the fourth wait would be 160 ms.
    expect(gaps[3]).toBeLessThan(140);
  });

  test("baseMs 0 retries at once", async () => {
    const f = flaky([unavailable(), unavailable()]);
    const t0 = performance.now();
    await retry(f.fn, { attempts: 3, baseMs: 0 });
    expect(performance.now() - t0).toBeLessThan(100);
    expect(f.attempts).toEqual([1, 2, 3]);
  });

  test("an abort during a wait rejects with the signal's reason and starts no further attempt", async () => {
    const f = flaky(Array.from({ length: 10 }, unavailable));
    const ctl = new AbortController();
    const reason = new Error("stopping");
    setTimeout(() => ctl.abort(reason), 50);
    const t0 = performance.now();
    const err = await retry(f.fn, { attempts: Number.POSITIVE_INFINITY, baseMs: 5_000, signal: ctl.signal }).catch((e) => e);
    expect(err).toBe(reason);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(f.attempts).toEqual([1]);
  });

  test("an already aborted signal runs nothing", async () => {
    const f = flaky([]);
    const reason = new Error("stopped before");
    await expect(retry(f.fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(f.attempts).toEqual([]);
  });

  test("maxElapsedMs bounds the whole loop and throws the last failure", async () => {
    const errors = Array.from({ length: 1_000 }, unavailable);
    const f = flaky(errors);
    const t0 = performance.now();
    const err = await retry(f.fn, { attempts: Number.POSITIVE_INFINITY, baseMs: 10, maxMs: 10, maxElapsedMs: 100 }).catch((e) => e);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1_000);
    expect(err).toBe(errors[f.attempts.length - 1]);
    expect(f.attempts.length).toBeGreaterThan(2);
  });

  test("values that are not Error objects are retried and rethrown unchanged", async () => {
    const f = flaky([{ code: "unavailable" }, "plain string"]);
    const seen: unknown[] = [];
    const err = await retry(f.fn, { attempts: 2, baseMs: 1, retryable: (e) => seen.push(e) > 0 }).catch((e) => e);
    expect(err).toBe("plain string");
    expect(seen).toEqual([{ code: "unavailable" }]);
  });

  test("a TypeError is a bug, not an outage: never retried", async () => {
    const bug = new TypeError("x is undefined");
    const f = flaky([bug]);
    await expect(retry(f.fn, { attempts: 5, baseMs: 1 })).rejects.toBe(bug);
    expect(f.attempts).toEqual([1]);
  });

  test("refuses fewer than one attempt", async () => {
    await expect(retry(async () => 1, { attempts: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
