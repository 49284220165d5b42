/**
 * The embedded nats-server's restart delay resets once a run was healthy long enough. The policy
 * is tested on its own with clock readings, and through the real supervisor with an injected clock
 * (real SIGKILLs, real restarts; "hours apart" is a clock jump, not a sleep).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RESTART_BACKOFF, RestartBackoff } from "../../../bus/server/restart.backoff.ts";
import { startEmbeddedNats } from "../../../bus/server/index.ts";
import { cleanup, tempDataDir, waitFor } from "./helpers.ts";

const HOUR = 3_600_000;

describe("RestartBackoff", () => {
  it("doubles while the server dies soon after each start, up to the cap", () => {
    const b = new RestartBackoff({ minMs: 250, maxMs: 5_000, stableAfterMs: 30_000 });
    let t = 0;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const startedAt = t;
      t += 1_000; // each run lasts a second
      delays.push(b.delayAfter(startedAt, t));
    }
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it("starts over after a run that lasted the healthy period (crashes hours apart all get the short delay)", () => {
    const b = new RestartBackoff(DEFAULT_RESTART_BACKOFF);
    expect(b.delayAfter(0, 1_000)).toBe(250);
    expect(b.delayAfter(1_000, 2_000)).toBe(500);
    expect(b.delayAfter(2_000, 3_000)).toBe(1_000);
    // Then one run of exactly the healthy period, then runs hours long.
    expect(b.delayAfter(3_000, 3_000 + DEFAULT_RESTART_BACKOFF.stableAfterMs)).toBe(250);
    expect(b.delayAfter(HOUR, 2 * HOUR)).toBe(250);
    expect(b.delayAfter(2 * HOUR, 5 * HOUR)).toBe(250);
  });

  it("a run just short of the healthy period keeps the backoff growing", () => {
    const b = new RestartBackoff(DEFAULT_RESTART_BACKOFF);
    const almost = DEFAULT_RESTART_BACKOFF.stableAfterMs - 1;
    expect(b.delayAfter(0, almost)).toBe(250);
    expect(b.delayAfter(almost, 2 * almost)).toBe(500);
    expect(b.delayAfter(2 * almost, 3 * almost)).toBe(1_000);
  });
});

describe("embedded nats-server supervisor: restart delay", () => {
  it("resets to the minimum when the restarted server ran the healthy period (injected clock)", async () => {
    let clock = 1_000_000;
    const lines: string[] = [];
    const nats = await startEmbeddedNats({ dataDir: tempDataDir(), log: (l) => lines.push(l), ownProcessGroup: false, now: () => clock });
    cleanup(() => nats.stop());
    const killAndWait = async (i: number) => {
      const pid = nats.pid;
      process.kill(pid, "SIGKILL");
      await waitFor(`restart #${i}`, () => nats.restarts === i && nats.pid !== pid);
    };
    await killAndWait(1); // clock did not move: runs of 0 ms
    await killAndWait(2);
    clock += 2 * HOUR; // the third server serves for two hours
    await killAndWait(3);
    await killAndWait(4); // and its successor dies at once again
    const delays = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
    expect(delays).toEqual([250, 500, 250, 500]);
  }, 30_000);
});
