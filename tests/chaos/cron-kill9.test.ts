/**
 * Crashes at random instants while cron jobs fire (issue 13): a slot is claimed in the log before
 * its run starts, so after any crash and restart each slot is claimed once (never doubled), has
 * exactly one run (one session message), ends with exactly one outcome, and no slot is lost: every
 * slot of the schedule up to the last one decided is claimed or recorded as skipped, per the job's
 * catch-up policy (tests/chaos/cron.slots.ts). Four jobs with different intervals run at once, so
 * every crash lands at a different phase of each job's slot (cron.chaos.ts).
 *
 * Two kinds of crash: many gateway lifetimes in this process on one real nats-server, each cut off
 * from NATS at a random instant (cron.lifetime.ts: cheap, so at least the 50 fit), and a
 * few kill -9 of a real gateway process (each costs a process start: ~2.3 s of CPU, far more under
 * load), which also covers the embedded nats-server left behind and the pid file.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";
import { cleanupAll, expectSaneLog, readEvents, startGateway, startLlm } from "./chaos.helpers.ts";
import { cronChaos, lifetimeTarget, processTarget, type ChaosResult } from "./cron.chaos.ts";

afterEach(cleanupAll, 40_000);
let nats: TestNats | undefined;
afterAll(async () => {
  await nats?.stop();
});

const CRASHES = Number(process.env.CRON_CHAOS_CRASHES ?? 50);
const KILLS = Number(process.env.CRON_CHAOS_KILLS ?? 4);

const expectExactlyOnce = (r: ChaosResult, kills: number) => {
  expect(r.kills).toBe(kills);
  expect([...r.stalled, ...r.checks.flatMap((c) => c.problems)]).toEqual([]);
  expect(r.checks.reduce((n, c) => n + c.doubled + c.missed, 0)).toBe(0);
  // The jobs went on running slots through the crashes (a restart that crashed again before its
  // jobs were armed would leave them stalled: no slot lost, but none run either).
  for (const c of r.checks) expect(c.claimed).toBeGreaterThan(0);
  expect(r.checks.reduce((n, c) => n + c.claimed, 0)).toBeGreaterThanOrEqual(kills / 2);
};

describe("chaos: crashes around cron slot boundaries", () => {
  it(`${CRASHES} crashed gateway lifetimes × 4 jobs: 0 doubled, 0 missed, one run and one outcome per claimed slot`, async () => {
    const llm = await startLlm();
    nats = await startTestNats();
    const target = await lifetimeTarget(nats, llm.url);
    try {
      expectExactlyOnce(await cronChaos(target, { trials: CRASHES }), CRASHES);
    } finally {
      await target.dispose();
    }
  }, 300_000);

  it(`${KILLS} kill -9 of the gateway process × 4 jobs: 0 doubled, 0 missed, one run and one outcome per claimed slot`, async () => {
    const gw = await startGateway(await startLlm());
    const r = await cronChaos(processTarget(gw), { trials: KILLS });
    expectExactlyOnce(r, KILLS);
    expectSaneLog(await readEvents(gw));
  }, 240_000);
});
