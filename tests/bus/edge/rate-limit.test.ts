import { expect, test } from "vitest";
import { createRateLimiter } from "../../../bus/edge/rate-limit.ts";

test("burst, then refill at the sustained rate", () => {
  let t = 1_000;
  const rl = createRateLimiter({ ratePerSec: 10, burst: 3, now: () => t });
  expect([rl.take(), rl.take(), rl.take(), rl.take()]).toEqual([true, true, true, false]);
  t += 100; // one token
  expect([rl.take(), rl.take()]).toEqual([true, false]);
  t += 10_000; // refills up to the burst only
  expect([rl.take(), rl.take(), rl.take(), rl.take()]).toEqual([true, true, true, false]);
});

test("a clock stepping backwards neither mints tokens nor wedges the bucket", () => {
  let t = 10_000;
  const rl = createRateLimiter({ ratePerSec: 10, burst: 1, now: () => t });
  expect(rl.take()).toBe(true);
  t = 0;
  expect(rl.take()).toBe(false);
  t = 10_000; // back to where it was: still no time has passed since the last take
  expect(rl.take()).toBe(false);
  t = 10_100;
  expect(rl.take()).toBe(true);
});
