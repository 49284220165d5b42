import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { SnapshotStore } from "../../../bus/index.ts";
import { cronQueries } from "../../../projections/index.ts";
import type { AnyStoredEvent } from "../../../schemas/index.ts";
import { aggregateEvents, startStack, type Stack } from "../../fixtures/stack.ts";
import { ManualClock } from "./manual.clock.ts";

const T0 = Date.parse("2027-01-01T00:00:00Z");
const MIN = 60_000;

/** Waits until the job's log satisfies `until` (the effects run asynchronously after each event). */
async function waitLog(s: Stack, name: string, until: (evs: AnyStoredEvent[]) => boolean): Promise<AnyStoredEvent[]> {
  for (let i = 0; i < 400; i++) {
    const evs = await aggregateEvents(s.log, "cron", name);
    if (until(evs)) return evs;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`cron ${name}: ${JSON.stringify((await aggregateEvents(s.log, "cron", name)).map((e) => e.type))}`);
}
const count = (evs: AnyStoredEvent[], type: string) => evs.filter((e) => e.type === type).length;

describe("cron jobs on a real bus, scheduled on a hand-moved clock, run through the scripted LLM", () => {
  let s: Stack;
  let clock: ManualClock;
  let sys: ActorSystem;
  let snapshots: SnapshotStore;
  const start = () =>
    startActorSystem({
      nc: s.nc,
      log: s.log,
      snapshots,
      model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
      cron: { clock, graceMs: 5_000 },
    });
  beforeAll(async () => {
    s = await startStack();
    await s.actors.stop();
    snapshots = await SnapshotStore.open(s.nc);
    clock = new ManualClock(T0);
    sys = start();
  }, 60_000);
  afterAll(async () => {
    await sys?.stop();
    await s?.stop();
  });

  it("an `every` job claims each slot, then runs it as an agent turn in its own session, and records the outcome", async () => {
    await sys.dispatch("cron", "tick", "create", { schedule: { kind: "every", everyMs: MIN }, prompt: "check the inbox" });
    clock.advance(MIN);
    let evs = await waitLog(s, "tick", (e) => count(e, "cron.run.completed") === 1);
    clock.advance(MIN);
    evs = await waitLog(s, "tick", (e) => count(e, "cron.run.completed") === 2);
    expect(evs.map((e) => e.type)).toEqual([
      "cron.job.created",
      "cron.slot.claimed",
      "cron.run.started",
      "cron.run.completed",
      "cron.slot.claimed",
      "cron.run.started",
      "cron.run.completed",
    ]);
    const claims = evs.filter((e) => e.type === "cron.slot.claimed").map((e) => e.data as { slot: number; sessionKey: string });
    expect(claims.map((c) => c.slot)).toEqual([T0 + MIN, T0 + 2 * MIN]);
    expect(claims[0].sessionKey).toBe("cron-tick");
    // The claim is in the log before the session's message (effects after facts).
    const session = await aggregateEvents(s.log, "session", "cron-tick");
    const messages = session.filter((e) => e.type === "session.user_message");
    expect(messages.map((m) => (m.data as { text: string }).text)).toEqual(["check the inbox", "check the inbox"]);
    expect(evs[1].seq).toBeLessThan(messages[0].seq);
    const done = evs.find((e) => e.type === "cron.run.completed")?.data as { usage: { outputTokens: number } | null };
    expect(done.usage?.outputTokens).toBeGreaterThan(0);
  });

  it("after downtime, run_once runs the latest missed slot once and records the others as skipped", async () => {
    await sys.dispatch("cron", "digest", "create", { schedule: { kind: "every", everyMs: MIN }, prompt: "digest", catchUp: "run_once" });
    await sys.stop(); // the gateway is down for 10 minutes
    clock.advance(10 * MIN + 500);
    sys = start();
    expect(await sys.recoverCron(["digest"])).toBe(1);
    const evs = await waitLog(s, "digest", (e) => count(e, "cron.run.completed") === 1);
    const skipped = evs.find((e) => e.type === "cron.slot.skipped")?.data as { count: number; reason: string };
    expect(skipped).toMatchObject({ count: 9, reason: "catch_up_run_once" });
    expect(count(evs, "cron.slot.claimed")).toBe(1);
  });

  it("a slot claimed before a crash and not known to have started runs once: the session answers the repeat as a duplicate", async () => {
    await sys.dispatch("cron", "once", "create", { schedule: { kind: "every", everyMs: MIN }, prompt: "only once" });
    // The claim is durable, then the gateway dies before the run's start is recorded.
    s.llm.script({ hang: { chunkIntervalMs: 20 } });
    clock.advance(MIN);
    await waitLog(s, "once", (e) => count(e, "cron.run.started") === 1);
    await sys.stop();
    sys = start();
    await sys.recoverCron(["once"]);
    const evs = await waitLog(s, "once", (e) => count(e, "cron.run.completed") + count(e, "cron.run.failed") === 1);
    const session = await aggregateEvents(s.log, "session", "cron-once");
    expect(session.filter((e) => e.type === "session.user_message")).toHaveLength(1);
    expect(count(evs, "cron.slot.claimed")).toBe(1);
  });

  it("a run past the job's timeout is cancelled and recorded as timed out; the next slot is armed", async () => {
    s.llm.script({ hang: { chunkIntervalMs: 50 } });
    const created = (await sys.dispatch("cron", "slow", "create", {
      schedule: { kind: "every", everyMs: 10 * MIN },
      prompt: "slow",
      timeoutMs: 30_000,
    })) as { nextAt: number };
    clock.advance(10 * MIN);
    await waitLog(s, "slow", (e) => count(e, "cron.run.started") === 1);
    clock.advance(31_000);
    const evs = await waitLog(s, "slow", (e) => count(e, "cron.run.timed_out") === 1);
    expect(evs.at(-1)?.data).toMatchObject({ timeoutMs: 30_000 });
    const view = (await sys.dispatch("cron", "slow", "enable", {})) as { nextAt: number; state: string };
    expect(view).toMatchObject({ state: "idle", nextAt: created.nextAt + 10 * MIN });
    // The cancelled run ends as cancelled on its session; the slot's outcome stays "timed out".
    const session = await aggregateEvents(s.log, "session", "cron-slow");
    expect(session.some((e) => e.type === "session.run_ended")).toBe(true);
  });

  it("at start an idle job is armed from the read model's row; a row that is behind fires nothing and the job re-arms from its log", async () => {
    const created = (await sys.dispatch("cron", "stale", "create", { schedule: { kind: "every", everyMs: 10 * MIN }, prompt: "x" })) as {
      nextAt: number;
    };
    await s.projector.waitFor(await s.log.lastSeq());
    const jobs = cronQueries(() => s.projector.db);
    expect(jobs.due().find((j) => j.name === "stale")).toEqual({ name: "stale", nextAt: created.nextAt, inProgress: false });
    expect(jobs.due(created.nextAt - 1).some((j) => j.name === "stale")).toBe(false);
    expect(jobs.due(created.nextAt).some((j) => j.name === "stale")).toBe(true);
    await sys.stop();
    sys = start();
    // The row says an earlier slot than the job's log does.
    expect(await sys.recoverCron([{ name: "stale", nextAt: created.nextAt - 5 * MIN, inProgress: false }])).toBe(1);
    clock.advance(5 * MIN);
    clock.advance(5 * MIN);
    const evs = await waitLog(s, "stale", (e) => count(e, "cron.run.completed") === 1);
    expect(evs.filter((e) => e.type === "cron.slot.claimed").map((e) => (e.data as { slot: number }).slot)).toEqual([created.nextAt]);
    expect(count(evs, "cron.slot.skipped")).toBe(0);
  });

  it("refuses what cannot run with typed errors, before anything is written", async () => {
    await expect(
      sys.dispatch("cron", "bad", "create", { schedule: { kind: "cron", expr: "0 25 * * *" }, prompt: "x" }),
    ).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(sys.dispatch("cron", "ghost", "disable", {})).rejects.toMatchObject({ code: "cron_job_not_found" });
    await expect(
      sys.dispatch("cron", "tick", "create", { schedule: { kind: "every", everyMs: 5000 }, prompt: "other" }),
    ).rejects.toMatchObject({
      code: "cron_job_exists",
    });
    expect(await aggregateEvents(s.log, "cron", "bad")).toEqual([]);
  });
});
