import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkSchedule, nextSlot, planFire } from "../../../actors/cron/index.ts";
import { isCairnError, type CatchUpPolicy, type CronSchedule } from "../../../schemas/index.ts";
import { ManualClock } from "./manual.clock.ts";

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe("cron schedules", () => {
  it("every: slots at anchor + k·interval, strictly after the time asked", () => {
    const s: CronSchedule = { kind: "every", everyMs: 900_000, anchor: T("2027-01-01T00:00:00Z") };
    expect(iso(nextSlot(s, T("2027-01-01T00:00:00Z")))).toBe("2027-01-01T00:15:00.000Z");
    expect(iso(nextSlot(s, T("2027-01-01T00:14:59.999Z")))).toBe("2027-01-01T00:15:00.000Z");
    expect(iso(nextSlot(s, T("2026-12-31T00:00:00Z")))).toBe("2027-01-01T00:00:00.000Z");
  });

  it("cron: 5 fields in the job's time zone (09:00 Berlin is 08:00 UTC in winter, 07:00 in summer)", () => {
    const s: CronSchedule = { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Berlin" };
    expect(iso(nextSlot(s, T("2027-01-01T00:00:00Z")))).toBe("2027-01-01T08:00:00.000Z"); // a Friday
    expect(iso(nextSlot(s, T("2027-01-01T08:00:00Z")))).toBe("2027-01-04T08:00:00.000Z"); // then Monday
    expect(iso(nextSlot(s, T("2027-07-01T00:00:00Z")))).toBe("2027-07-01T07:00:00.000Z");
  });

  it("DST spring forward (2027-03-28, Berlin): 02:30 does not exist and runs once, at 03:00 CEST", () => {
    const s: CronSchedule = { kind: "cron", expr: "30 2 * * *", tz: "Europe/Berlin" };
    const slots: string[] = [];
    for (let t = nextSlot(s, T("2027-03-26T12:00:00Z")); t !== null && t < T("2027-03-30T00:00:00Z"); t = nextSlot(s, t))
      slots.push(iso(t) as string);
    expect(slots).toEqual(["2027-03-27T01:30:00.000Z", "2027-03-28T01:00:00.000Z", "2027-03-29T00:30:00.000Z"]);
  });

  it("DST fall back (2027-10-31, Berlin): 02:30 happens twice on the wall clock and runs once, at the first", () => {
    const s: CronSchedule = { kind: "cron", expr: "30 2 * * *", tz: "Europe/Berlin" };
    const slots: string[] = [];
    for (let t = nextSlot(s, T("2027-10-29T12:00:00Z")); t !== null && t < T("2027-11-02T00:00:00Z"); t = nextSlot(s, t))
      slots.push(iso(t) as string);
    expect(slots).toEqual(["2027-10-30T00:30:00.000Z", "2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"]);
  });

  it("6 fields: seconds first", () => {
    expect(iso(nextSlot({ kind: "cron", expr: "*/10 * * * * *" }, T("2027-01-01T00:00:00.5Z")))).toBe("2027-01-01T00:00:10.000Z");
  });

  it("at: one slot, none after it", () => {
    const s: CronSchedule = { kind: "at", at: T("2026-12-24T18:00:00Z") };
    expect(nextSlot(s, T("2026-12-24T17:00:00Z"))).toBe(s.at);
    expect(nextSlot(s, s.at)).toBeNull();
  });

  it.each([
    [{ kind: "cron", expr: "61 * * * *" }, "cron", /bad cron expression/],
    [{ kind: "cron", expr: "* * *" }, "cron", /5 fields/],
    [{ kind: "cron", expr: "* * * * * * *" }, "cron", /got 7/],
    [{ kind: "cron", expr: "0 9 * * *", tz: "Mars/Olympus" }, "tz", /unknown time zone 'Mars\/Olympus'/],
  ] as const)("refuses %j with a typed error naming the field", (s, field, message) => {
    let err: unknown;
    try {
      checkSchedule(s as CronSchedule);
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err) && err.code).toBe("bad_request");
    expect((err as { details: { field: string } }).details.field).toBe(field);
    expect((err as Error).message).toMatch(message);
  });
});

describe("catch-up after downtime (planFire)", () => {
  const every: CronSchedule = { kind: "every", everyMs: 60_000, anchor: 0 };
  it("on time: claims the slot, nothing skipped, whatever the policy", () => {
    for (const p of ["skip", "run_once", "run_all"] as const) {
      expect(planFire(every, p, 60_000, 60_010)).toEqual({ skip: null, claim: 60_000, nextAt: 120_000 });
    }
  });
  it("not due yet: nothing", () =>
    expect(planFire(every, "run_once", 60_000, 59_999)).toEqual({ skip: null, claim: null, nextAt: 60_000 }));
  it("run_once: 10 slots missed → the latest runs, the 9 before it are skipped", () => {
    expect(planFire(every, "run_once", 60_000, 600_500)).toEqual({
      skip: { from: 60_000, to: 540_000, count: 9, reason: "catch_up_run_once" },
      claim: 600_000,
      nextAt: 660_000,
    });
  });
  it("run_all: the oldest runs, the next is due at once", () => {
    expect(planFire(every, "run_all", 60_000, 600_500)).toEqual({ skip: null, claim: 60_000, nextAt: 120_000 });
  });
  it("skip: the latest runs only when on time; late ones are all skipped", () => {
    expect(planFire(every, "skip", 60_000, 600_500, 1000)).toMatchObject({ claim: 600_000, skip: { count: 9 } });
    expect(planFire(every, "skip", 60_000, 630_000, 1000)).toEqual({
      skip: { from: 60_000, to: 600_000, count: 10, reason: "catch_up_skip" },
      claim: null,
      nextAt: 660_000,
    });
  });

  // A job fired at arbitrary (increasing) instants — outages of any length — accounts for every
  // slot exactly once: claimed or skipped, never both, never twice, never lost.
  it.each(["skip", "run_once", "run_all"] as const)("%s: every slot is claimed or skipped exactly once", (policy: CatchUpPolicy) => {
    const schedules: CronSchedule[] = [every, { kind: "cron", expr: "*/7 * * * *", tz: "Europe/Berlin" }];
    fc.assert(
      fc.property(
        fc.constantFrom(...schedules),
        fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 30 }),
        (s, gaps) => {
          const start = T("2027-03-28T00:00:00Z");
          let nextAt = nextSlot(s, start) as number;
          let now = start;
          const seen = new Map<number, number>();
          const mark = (slot: number) => seen.set(slot, (seen.get(slot) ?? 0) + 1);
          for (const gap of gaps) {
            now += gap;
            // A fire decides until nothing more is due (run_all drains one slot per fire).
            for (let i = 0; i < 10_000; i++) {
              const plan = planFire(s, policy, nextAt, now, 30_000);
              if (plan.skip === null && plan.claim === null) break;
              if (plan.skip) for (let t: number | null = plan.skip.from; t !== null && t <= plan.skip.to; t = nextSlot(s, t)) mark(t);
              if (plan.claim !== null) mark(plan.claim);
              nextAt = plan.nextAt as number;
            }
          }
          const expected: number[] = [];
          for (let t: number | null = nextSlot(s, start); t !== null && t <= now; t = nextSlot(s, t)) expected.push(t);
          expect([...seen.keys()].sort((a, b) => a - b)).toEqual(expected);
          expect([...seen.values()].every((n) => n === 1)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("CronTimers", () => {
  // Found by the kill -9 chaos test: after a restart every slot is already due, and a clock that
  // fires at once must still reach the job (it used to be dropped, so the job never fired again).
  it("a timer already due fires even when the clock calls back synchronously, and arming again replaces it", async () => {
    const { CronTimers } = await import("../../../actors/cron/index.ts");
    const fired: string[] = [];
    const timers = new CronTimers({
      now: () => 10,
      setTimer: (at, fire) => {
        if (at <= 10) fire();
        return () => {};
      },
    });
    timers.arm("a", 5, () => void fired.push("a"));
    timers.arm("b", 50, () => void fired.push("b-old"));
    timers.arm("b", 5, () => void fired.push("b"));
    await new Promise((r) => setImmediate(r));
    expect(fired).toEqual(["a", "b"]);
    expect(timers.size).toBe(0);
  });

  it("thousands of jobs wait on one clock timer and fire in deadline order, each once; replaced and cancelled ones never", async () => {
    const { CronTimers } = await import("../../../actors/cron/index.ts");
    const clock = new ManualClock(0);
    const timers = new CronTimers(clock);
    const fired: string[] = [];
    const at = (i: number) => 1000 + ((i * 7919) % 5000);
    for (let i = 0; i < 5000; i++) timers.arm(`j${i}`, at(i), () => void fired.push(`j${i}`));
    timers.arm("j1", 10_000, () => void fired.push("j1-moved"));
    timers.cancel("j2");
    expect(timers.armIfAbsent("j3", 1, () => void fired.push("j3-stale"))).toBe(false);
    expect(clock.pending).toBe(1);
    clock.advance(3000);
    await new Promise((r) => setImmediate(r));
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(fired).toHaveLength(4999);
    expect(new Set(fired).size).toBe(4999);
    expect(fired.at(-1)).toBe("j1-moved");
    expect(fired).not.toContain("j2");
    const times = fired.slice(0, -1).map((id) => at(Number(id.slice(1))));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(timers.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
