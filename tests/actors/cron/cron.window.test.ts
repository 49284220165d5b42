import { describe, expect, it } from "vitest";
import {
  CronRateLimiter,
  cronSettings,
  dueSlots,
  heartbeatSettings,
  inWindow,
  jobOfMessage,
  nextSlot,
  planFire,
  slotMessageId,
} from "../../../actors/cron/index.ts";
import { isCairnError, type CronSchedule } from "../../../schemas/index.ts";

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const MIN = 60_000;

describe("active hours (the heartbeat's window)", () => {
  const berlin = { start: "08:00", end: "22:00", tz: "Europe/Berlin" };

  it("an every-30m job within 08:00-22:00 Berlin: no slot in the night; the first after it is at or after 08:00 local", () => {
    // Anchored at 21:45 CET (20:45Z): 22:15 is outside, so the next slot is 08:15 the next morning.
    const s: CronSchedule = { kind: "every", everyMs: 30 * MIN, anchor: T("2027-01-14T20:45:00Z"), activeHours: berlin };
    expect(iso(nextSlot(s, T("2027-01-14T20:45:00Z")))).toBe("2027-01-15T07:15:00.000Z");
    const slots: string[] = [];
    for (let t = nextSlot(s, T("2027-01-14T20:45:00Z")); t !== null && t < T("2027-01-15T09:00:00Z"); t = nextSlot(s, t))
      slots.push(iso(t) as string);
    expect(slots).toEqual(["2027-01-15T07:15:00.000Z", "2027-01-15T07:45:00.000Z", "2027-01-15T08:15:00.000Z", "2027-01-15T08:45:00.000Z"]);
    for (const t of slots) expect(inWindow(T(t), berlin)).toBe(true);
  });

  it("follows the zone across DST: 08:00 Berlin is 07:00Z in winter, 06:00Z in summer", () => {
    const s = (anchor: string): CronSchedule => ({ kind: "every", everyMs: 60 * MIN, anchor: T(anchor), activeHours: berlin });
    expect(iso(nextSlot(s("2027-03-26T23:00:00Z"), T("2027-03-26T23:00:00Z")))).toBe("2027-03-27T07:00:00.000Z");
    expect(iso(nextSlot(s("2027-03-28T23:00:00Z"), T("2027-03-28T23:00:00Z")))).toBe("2027-03-29T06:00:00.000Z");
  });

  it("a window that spans midnight (22:00-06:00 UTC) runs at night only; start = end is all day", () => {
    const night = { start: "22:00", end: "06:00" };
    expect(inWindow(T("2027-01-01T23:30:00Z"), night)).toBe(true);
    expect(inWindow(T("2027-01-01T05:59:00Z"), night)).toBe(true);
    expect(inWindow(T("2027-01-01T06:00:00Z"), night)).toBe(false);
    expect(inWindow(T("2027-01-01T12:00:00Z"), { start: "00:00", end: "00:00" })).toBe(true);
  });

  it("catch-up counts only the slots inside the window: a night's downtime misses nothing", () => {
    const s: CronSchedule = { kind: "every", everyMs: 30 * MIN, anchor: T("2027-01-14T20:45:00Z"), activeHours: berlin };
    // Down from 21:50 to 08:20 local: the only slot in between is 08:15 (07:15Z).
    const due = dueSlots(s, T("2027-01-15T07:15:00Z"), T("2027-01-15T07:20:00Z"));
    expect(due).toMatchObject({ count: 1, latest: T("2027-01-15T07:15:00Z") });
    // Back within the grace: the 08:15 beat runs on time, nothing was missed in the night.
    expect(planFire(s, "skip", T("2027-01-15T07:15:00Z"), T("2027-01-15T07:15:30Z"))).toMatchObject({
      skip: null,
      claim: T("2027-01-15T07:15:00Z"),
      nextAt: T("2027-01-15T07:45:00Z"),
    });
  });
});

describe("[heartbeat] and [cron] settings", () => {
  it("[heartbeat] makes a system job: every 30m by default, catch-up skip, the window in its zone", () => {
    const h = heartbeatSettings({
      every: "1h",
      active_hours: { start: "08:00", end: "22:00", timezone: "Europe/Berlin" },
      session: "main",
    });
    expect(h).toMatchObject({
      schedule: { kind: "every", everyMs: 3_600_000, activeHours: { start: "08:00", end: "22:00", tz: "Europe/Berlin" } },
      session: "main",
      catchUp: "skip",
      system: true,
    });
    expect(heartbeatSettings({})?.schedule).toEqual({ kind: "every", everyMs: 30 * MIN });
    expect(heartbeatSettings(undefined)).toBeNull();
    expect(heartbeatSettings({ enabled: false })).toBeNull();
  });

  it.each([
    [{ every: "10s" }, /at least a minute/],
    [{ active_hours: { start: "8am", end: "22:00" } }, /HH:MM/],
    [{ active_hours: { start: "08:00", end: "22:00", timezone: "Mars/Base" } }, /unknown time zone/],
  ])("refuses %j with bad_request", (h, message) => {
    let err: unknown;
    try {
      heartbeatSettings(h);
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err) && err.code === "bad_request" && message.test(err.message)).toBe(true);
  });

  it("[cron] defaults: 10 per 60 s, sandbox and approvals as configured", () => {
    expect(cronSettings(undefined)).toEqual({ rateLimitMax: 10, rateLimitWindowMs: 60_000, sandbox: null, approvalMode: null });
    expect(cronSettings({ rate_limit_max: 5, rate_limit_window_secs: 300, approval_mode: "always" })).toMatchObject({
      rateLimitMax: 5,
      rateLimitWindowMs: 300_000,
      approvalMode: "always",
    });
  });
});

describe("the cron tool's rate limit", () => {
  it("allows max per sliding window, then refuses with cron_rate_limited and when to retry, counting nothing refused", () => {
    let now = 0;
    const l = new CronRateLimiter(3, 60_000, () => now);
    l.take();
    now = 10_000;
    l.take();
    l.take();
    let err: unknown;
    try {
      l.take();
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err) && err.code).toBe("cron_rate_limited");
    expect((err as { details: { retryAfterMs: number } }).details.retryAfterMs).toBe(50_000);
    now = 60_000; // the first one left the window: one more fits, not two
    l.take();
    expect(() => l.take()).toThrow(/at most 3 job/);
  });
});

describe("slot message ids", () => {
  it("name their job (and nothing else does)", () => {
    expect(jobOfMessage(slotMessageId("morning-brief", T("2027-01-01T08:00:00Z"), false))).toBe("morning-brief");
    expect(jobOfMessage(slotMessageId("a_b", 5, true))).toBe("a_b");
    expect(jobOfMessage("m-123")).toBeNull();
    expect(jobOfMessage("c-x")).toBeNull();
  });
});
