/**
 * A kill -9 at the two instants of a slot the log alone must carry across (issue 13), made exact:
 * a real bus and log, the scripted LLM, a clock moved by hand, and the dead gateway's last act
 * written as it would have been. Every claim ends with exactly one outcome, and a claimed slot runs.
 *
 * - between the claim and its run's start: the claim is durable, no effect ran;
 * - between a run's end and its session's record of it: the run's log says completed, the session
 *   still holds the run. (The chaos bench once saw a `skip` job with 17 runs for 18 claims: the
 *   job took the run's end for the slot's end, claimed the next slot at once, and the session,
 *   not yet repaired, refused its message as busy — recorded as a failed slot with no run.)
 */
import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCronSpec } from "../../../actors/cron/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { AggregateHost } from "../../../actors/runtime/index.ts";
import { EventLog, SnapshotStore } from "../../../bus/index.ts";
import type { AnyStoredEvent } from "../../../schemas/index.ts";
import { aggregateEvents, startStack, type Stack } from "../../fixtures/stack.ts";
import { ManualClock } from "./manual.clock.ts";

const T0 = Date.parse("2027-03-01T00:00:00Z");
const MIN = 60_000;
const count = (evs: AnyStoredEvent[], type: string) => evs.filter((e) => e.type === type).length;
const ofSlot = (evs: AnyStoredEvent[], slot: number) => evs.filter((e) => (e.data as { slot?: number }).slot === slot);

async function waitLog(s: Stack, kind: "cron" | "session", id: string, until: (evs: AnyStoredEvent[]) => boolean) {
  for (let i = 0; i < 600; i++) {
    const evs = await aggregateEvents(s.log, kind, id);
    if (until(evs)) return evs;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${kind} ${id}: ${JSON.stringify((await aggregateEvents(s.log, kind, id)).map((e) => e.type))}`);
}

describe("kill -9 inside a cron slot, at exact instants", () => {
  let s: Stack;
  let clock: ManualClock;
  let snapshots: SnapshotStore;
  const systems: ActorSystem[] = [];
  const system = (nc: NatsConnection, log: EventLog, snaps: SnapshotStore) => {
    const sys = startActorSystem({
      nc,
      log,
      snapshots: snaps,
      model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
      cron: { clock, graceMs: 5_000 },
    });
    systems.push(sys);
    return sys;
  };
  beforeAll(async () => {
    s = await startStack();
    await s.actors.stop();
    snapshots = await SnapshotStore.open(s.nc);
    clock = new ManualClock(T0);
  }, 60_000);
  afterAll(async () => {
    for (const sys of systems) await sys.stop().catch(() => {});
    await s?.stop();
  });

  it("between the claim and the run's start: the restarted job starts that slot's run once, and it ends once", async () => {
    const sys = system(s.nc, s.log, snapshots);
    const job = (await sys.dispatch("cron", "claimed", "create", {
      schedule: { kind: "every", everyMs: MIN },
      prompt: "after the claim",
      catchUp: "skip",
    })) as { nextAt: number };
    await sys.stop();
    // The dead gateway: it decides and appends the claim, and dies before any effect of it runs.
    const dead = new AggregateHost(createCronSpec({ graceMs: 5_000 }), {
      log: s.log,
      snapshots,
      now: clock.now,
      newId: randomUUID,
      report: () => {},
    });
    clock.set(job.nextAt);
    expect(await dead.execute("claimed", { verb: "fire", params: { slot: job.nextAt } })).toMatchObject({ fired: true });
    expect((await aggregateEvents(s.log, "cron", "claimed")).map((e) => e.type)).toEqual(["cron.job.created", "cron.slot.claimed"]);

    const next = system(s.nc, s.log, snapshots);
    expect(await next.recoverCron(["claimed"])).toBe(1);
    const evs = await waitLog(s, "cron", "claimed", (e) => count(e, "cron.run.completed") === 1);
    expect(ofSlot(evs, job.nextAt).map((e) => e.type)).toEqual(["cron.slot.claimed", "cron.run.started", "cron.run.completed"]);
    const session = await aggregateEvents(s.log, "session", "cron-claimed");
    expect(session.filter((e) => e.type === "session.user_message").map((e) => (e.data as { text: string }).text)).toEqual([
      "after the claim",
    ]);
    // The job goes on: the next slot is claimed and run as usual.
    clock.advance(MIN);
    await waitLog(s, "cron", "claimed", (e) => count(e, "cron.run.completed") === 2);
    await next.stop();
  });

  it("between a run's end and its session's record of it: the next slot is not refused as busy, it runs", async () => {
    // The gateway that dies has its own connection: cutting it is the kill, as far as the log can tell.
    const nc = await s.nats.connect("doomed-gateway");
    const doomed = system(nc, await EventLog.open(nc), await SnapshotStore.open(nc));
    const job = (await doomed.dispatch("cron", "ended", "create", {
      schedule: { kind: "every", everyMs: MIN },
      prompt: "tick",
      catchUp: "skip",
    })) as { nextAt: number };
    s.llm.script({ hang: { chunkIntervalMs: 20 } });
    clock.set(job.nextAt);
    const started = await waitLog(s, "cron", "ended", (e) => count(e, "cron.run.started") === 1);
    const runId = (started.find((e) => e.type === "cron.run.started")?.data as { runId: string } | undefined)?.runId ?? "";
    await nc.close();
    void doomed.stop().catch(() => {});
    // Its last act: the run's end, durable in the run's log; the session never heard of it.
    const { lastSeq } = await s.log.load("run", runId);
    await s.log.append({
      kind: "run",
      id: runId,
      expectedSeq: lastSeq,
      events: [{ type: "run.completed", data: { text: "done", usage: null, finishReason: "stop" } }],
      eventIds: [randomUUID()],
      now: clock.now(),
    });
    const before = await aggregateEvents(s.log, "session", "cron-ended");
    expect(count(before, "session.run_ended")).toBe(0);

    // Down past the next slot; the restarted gateway adopts the job (nothing else is recovered).
    clock.advance(MIN + 1_000);
    const next = system(s.nc, s.log, snapshots);
    expect(await next.recoverCron(["ended"])).toBe(1);
    const second = job.nextAt + MIN;
    const evs = await waitLog(s, "cron", "ended", (e) => ofSlot(e, second).some((x) => /^cron\.run\.(completed|failed)/.test(x.type)));
    // The first slot ended once, completed; the second ran: claimed, started, completed.
    expect(ofSlot(evs, job.nextAt).map((e) => e.type)).toEqual(["cron.slot.claimed", "cron.run.started", "cron.run.completed"]);
    expect(ofSlot(evs, second).map((e) => e.type)).toEqual(["cron.slot.claimed", "cron.run.started", "cron.run.completed"]);
    const session = await aggregateEvents(s.log, "session", "cron-ended");
    expect(count(session, "session.user_message")).toBe(2);
    // The job waited for its session to let the run go before it took the next slot.
    const released = session.find((e) => e.type === "session.run_ended" && (e.data as { runId: string }).runId === runId);
    const firstEnd = ofSlot(evs, job.nextAt).at(-1);
    expect(released?.seq).toBeLessThan(firstEnd?.seq ?? 0);
    await next.stop();
  });
});
