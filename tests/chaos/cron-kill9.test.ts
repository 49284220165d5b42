/**
 * kill -9 of the gateway at random instants while cron jobs fire (issue 13): a slot is claimed in
 * the log before its run starts, so after any crash and restart each slot is claimed once (never
 * doubled), has exactly one run (one session message), ends with exactly one outcome, and no slot
 * is lost: every slot of the schedule up to the last one decided is claimed or recorded as skipped,
 * per the job's catch-up policy. Several jobs with different intervals run at once, so every kill
 * lands at a different phase of each job's slot (before a claim, between claim and start, mid-run).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, expectSaneLog, readEvents, sleep, startGateway, startLlm, waitUntil, type LoggedEvent } from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

const KILLS = Number(process.env.CRON_CHAOS_KILLS ?? 13);
const JOBS = [
  { name: "c1", everyMs: 1000, catchUp: "run_once" },
  { name: "c2", everyMs: 1300, catchUp: "run_all" },
  { name: "c3", everyMs: 1000, catchUp: "skip" },
  { name: "c4", everyMs: 1700, catchUp: "run_once" },
] as const;

const slotMessageId = (name: string, slot: number) => `c-${name}-${slot.toString(36)}`;

describe("chaos: kill -9 around cron slot boundaries", () => {
  it(`${KILLS} kills × ${JOBS.length} jobs: 0 doubled, 0 missed slots, one run and one outcome per claimed slot`, async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    for (const j of JOBS) {
      const r = await gw.cli(["cron", "add", "--name", j.name, "--every", `${j.everyMs}ms`, "--prompt", "tick", "--catch-up", j.catchUp]);
      expect(r.stderr).toBe("");
    }
    // Random phases: each kill comes 0-1.5 s after the gateway is ready again.
    for (let k = 0; k < KILLS; k++) {
      await sleep(Math.floor(Math.random() * 1500));
      await gw.kill("SIGKILL");
      await gw.restart();
    }
    await sleep(1500);
    for (const j of JOBS) expect((await gw.cli(["cron", "disable", j.name])).code).toBe(0);
    // Every claimed slot reaches its outcome (the runs after the last restart finish).
    let events: LoggedEvent[] = [];
    await waitUntil(
      "every claimed slot to have an outcome",
      async () => {
        events = await readEvents(gw);
        const claimed = events.filter((e) => e.type === "cron.slot.claimed").length;
        const ended = events.filter((e) => /^cron\.run\.(completed|failed|timed_out)$/.test(e.type)).length;
        return claimed > 0 && claimed === ended;
      },
      30_000,
      500,
    );
    expectSaneLog(events);
    let decided = 0;

    for (const j of JOBS) {
      const job = events.filter((e) => e.kind === "cron" && e.id === j.name);
      const created = job.find((e) => e.type === "cron.job.created")?.data;
      const anchor: number = created.schedule.anchor;
      const every: number = created.schedule.everyMs;
      const claimed = job.filter((e) => e.type === "cron.slot.claimed").map((e) => e.data.slot as number);
      const skipped = job.filter((e) => e.type === "cron.slot.skipped").map((e) => e.data as { from: number; to: number; count: number });
      // 0 doubled: no slot claimed twice, no slot both claimed and skipped.
      expect(new Set(claimed).size).toBe(claimed.length);
      const covered = new Map<number, number>();
      for (const s of claimed) covered.set(s, (covered.get(s) ?? 0) + 1);
      for (const s of skipped) {
        let n = 0;
        for (let t = s.from; t <= s.to; t += every) {
          covered.set(t, (covered.get(t) ?? 0) + 1);
          n++;
        }
        expect(n).toBe(s.count);
      }
      expect([...covered.values()].every((n) => n === 1)).toBe(true);
      // 0 missed: every slot from the first to the last decided is claimed or skipped.
      const last = Math.max(...covered.keys());
      for (let t = anchor + every; t <= last; t += every) expect(covered.has(t), `${j.name} slot ${t}`).toBe(true);
      if (j.catchUp === "run_all") expect(skipped).toEqual([]);
      // One run per claimed slot: its session has exactly one message for it, and none else.
      const messages = events.filter((e) => e.kind === "session" && e.id === `cron-${j.name}` && e.type === "session.user_message");
      expect(messages.map((m) => m.data.messageId).sort()).toEqual(claimed.map((s) => slotMessageId(j.name, s)).sort());
      // One outcome per claimed slot.
      const outcomes = job.filter((e) => /^cron\.run\.(completed|failed|timed_out)$/.test(e.type)).map((e) => e.data.slot as number);
      expect(outcomes.sort()).toEqual([...claimed].sort());
      decided += covered.size;
    }
    expect(decided).toBeGreaterThan(KILLS);
  }, 180_000);
});
