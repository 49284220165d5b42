/**
 * The Cron page's pure logic: schedules in words, the create form checked before anything is
 * sent (with the field and what to type), and run results as a person reads them.
 */
import { describe, expect, test } from "vitest";
import {
  cronInWords,
  cronParams,
  cronUpdateParams,
  emptyCronForm,
  formOfJob,
  everyInWords,
  nextCronRuns,
  parseInterval,
  runResult,
  scheduleInWords,
} from "../../ui/src/lib/cron.ts";
import type { CronJobRow, CronRunRow } from "../../ui/src/lib/wire.ts";

const NOW = Date.parse("2026-03-28T12:00:00Z");
const form = (over: Partial<ReturnType<typeof emptyCronForm>>) => ({ ...emptyCronForm("UTC"), name: "job", prompt: "do it", ...over });

describe("schedules in words", () => {
  test("intervals", () => {
    expect(parseInterval("15m")).toBe(900_000);
    expect(parseInterval("1h30m")).toBe(5_400_000);
    expect(parseInterval("15 minutes")).toBeNull();
    expect(everyInWords(900_000)).toBe("every 15 minutes");
    expect(everyInWords(3_600_000)).toBe("every hour");
    expect(everyInWords(5_400_000)).toBe("every 90 minutes");
    expect(everyInWords(2_000)).toBe("every 2 seconds");
  });

  test("common cron shapes; anything else is left to the expression and its next runs", () => {
    expect(cronInWords("0 9 * * 1-5")).toBe("at 09:00 on weekdays");
    expect(cronInWords("30 7,19 * * *")).toBe("at 07:30 and 19:30 every day");
    expect(cronInWords("*/5 * * * *")).toBe("every 5 minutes");
    expect(cronInWords("15 * * * *")).toBe("hourly at :15");
    expect(cronInWords("0 8 1 * *")).toBe("at 08:00 on day 1 of each month");
    expect(cronInWords("0 9 * 1 *")).toBeNull();
    expect(scheduleInWords({ kind: "cron", expr: "0 9 * 1 *" })).toBe("cron 0 9 * 1 * (UTC)");
    expect(scheduleInWords({ kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Berlin" })).toBe("at 09:00 on weekdays (Europe/Berlin)");
  });

  test("next runs honour the time zone, across the spring-forward night", () => {
    const r = nextCronRuns("0 9 * * *", "Europe/Berlin", 2, new Date(NOW));
    // 28 March is CET (UTC+1), 29 March CEST (UTC+2).
    expect("runs" in r && r.runs.map((t) => new Date(t).toISOString())).toEqual(["2026-03-29T07:00:00.000Z", "2026-03-30T07:00:00.000Z"]);
    expect(nextCronRuns("61 * * * *", "UTC")).toHaveProperty("error");
  });
});

describe("the create form", () => {
  test("each kind becomes cron.add params", () => {
    expect(cronParams(form({ every: "2s" }), NOW)).toEqual({
      ok: true,
      params: { name: "job", schedule: { kind: "every", everyMs: 2000 }, prompt: "do it", catchUp: "run_once" },
    });
    const c = cronParams(form({ kind: "cron", expr: " 0 9 * * 1-5 ", tz: "Europe/Berlin", model: "openai/x", enabled: false }), NOW);
    expect(c).toMatchObject({
      ok: true,
      params: { schedule: { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Berlin" }, model: "openai/x", disabled: true },
    });
    const at = cronParams(form({ kind: "at", at: "2026-12-24T18:00" }), NOW);
    expect(at).toMatchObject({ ok: true, params: { schedule: { kind: "at", at: new Date("2026-12-24T18:00").getTime() } } });
  });

  test("what is wrong names the field and says what to type", () => {
    expect(cronParams(form({ name: "no spaces" }), NOW)).toMatchObject({ ok: false, field: "name" });
    expect(cronParams(form({ every: "soon" }), NOW)).toMatchObject({ ok: false, field: "every", message: expect.stringContaining("15m") });
    expect(cronParams(form({ kind: "cron", expr: "61 * * * *" }), NOW)).toMatchObject({ ok: false, field: "expr" });
    expect(cronParams(form({ kind: "cron", tz: "Mars/Olympus" }), NOW)).toMatchObject({ ok: false, field: "tz" });
    expect(cronParams(form({ kind: "at", at: "2020-01-01T00:00" }), NOW)).toMatchObject({
      ok: false,
      field: "at",
      message: expect.stringContaining("passed"),
    });
    expect(cronParams(form({ prompt: "  " }), NOW)).toMatchObject({ ok: false, field: "prompt" });
    expect(cronParams(form({ timeout: "2d" }), NOW)).toMatchObject({ ok: false, field: "timeout" });
  });
});

describe("the edit form", () => {
  const job: CronJobRow = {
    name: "brief",
    schedule: { kind: "every", everyMs: 5_400_000, anchor: NOW - 1000 },
    prompt: "morning brief",
    model: null,
    session: "cron-brief",
    catchUp: "run_once",
    timeoutMs: 600_000,
    enabled: true,
    system: false,
    sandbox: null,
    approvalMode: "always",
    owner: null,
    nextAt: NOW + 1000,
    lastSlot: null,
    lastStatus: null,
    lastRunId: null,
    runs: 0,
    skipped: 0,
    createdAt: NOW,
    updatedAt: NOW,
  };

  test("is filled from the job as the list shows it", () => {
    expect(formOfJob(job)).toMatchObject({
      name: "brief",
      kind: "every",
      every: "90m",
      prompt: "morning brief",
      session: "",
      timeout: "10m",
      sandbox: "",
      approvalMode: "always",
    });
  });

  test("sends only what changed: a new prompt does not re-anchor the schedule; clearing a setting sends null", () => {
    const f = formOfJob(job);
    expect(cronUpdateParams({ ...f, prompt: "evening brief" }, job, NOW)).toEqual({
      ok: true,
      params: { name: "brief", prompt: "evening brief" },
    });
    expect(cronUpdateParams({ ...f, every: "2h", sandbox: "docker", approvalMode: "" }, job, NOW)).toEqual({
      ok: true,
      params: { name: "brief", schedule: { kind: "every", everyMs: 7_200_000 }, sandbox: "docker", approvalMode: null },
    });
    expect(cronUpdateParams(f, job, NOW)).toMatchObject({ ok: false, message: "Nothing changed." });
    expect(cronUpdateParams({ ...f, every: "soon" }, job, NOW)).toMatchObject({ ok: false, field: "every" });
  });

  test("an active-hours window is shown with the schedule (the heartbeat)", () => {
    expect(scheduleInWords({ kind: "every", everyMs: 1_800_000, activeHours: { start: "08:00", end: "22:00", tz: "Europe/Berlin" } })).toBe(
      "every 30 minutes, 08:00–22:00 (Europe/Berlin)",
    );
  });
});

test("run results", () => {
  const row = (r: Partial<CronRunRow>): CronRunRow => ({
    name: "j",
    slot: NOW,
    manual: false,
    status: "completed",
    runId: null,
    sessionKey: null,
    claimedAt: NOW,
    endedAt: null,
    durationMs: null,
    inputTokens: null,
    outputTokens: null,
    count: 1,
    reason: null,
    error: null,
    ...r,
  });
  expect(runResult(row({}))).toBe("completed");
  expect(runResult(row({ status: "failed", error: JSON.stringify({ code: "provider_error", message: "x" }) }))).toBe(
    "failed: provider_error",
  );
  expect(runResult(row({ status: "skipped", count: 3, reason: "catch_up_skip" }))).toBe("3 slots skipped (catch up skip)");
  expect(runResult(row({ status: "timed_out" }))).toBe("timed out");
});
