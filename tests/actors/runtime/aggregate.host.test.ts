import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EventLog, SnapshotStore } from "../../../bus/index.ts";
import { AggregateHost } from "../../../actors/runtime/aggregate.host.ts";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { startEventStore, type EventStore } from "../../fixtures/event.store.ts";

let store: EventStore;
let log: EventLog;
let snapshots: SnapshotStore;
beforeAll(async () => {
  store = await startEventStore();
  ({ log, snapshots } = store);
});
afterAll(() => store.stop());

const spec = createSessionSpec(() => "openai/x");
let n = 0;
const host = (snapshotEvery = 50) => {
  const started: string[] = [];
  const h = new AggregateHost(spec, { log, snapshots, now: () => 1000, newId: () => `h${++n}`, report: () => {}, snapshotEvery });
  h.setEffects(
    { startRun: async (p: { runId: string }) => void started.push(p.runId), announceRunEnded: () => {}, adoptRun: async () => {} },
    async (f) => {
      throw f.error;
    },
  );
  return { h, started };
};
const cmd = (verb: string, params: unknown) => spec.decodeCommand(verb, params);

describe("the aggregate host", () => {
  test("runs effects once, after the append; a new host hydrating the same log runs none", async () => {
    const a = host();
    await a.h.execute("h1", cmd("send", { text: "hi", createIfMissing: true }));
    await a.h.drain();
    expect(a.started).toHaveLength(1);
    const b = host();
    const { snapshot } = await b.h.read("h1");
    expect(snapshot.value).toBe("running");
    await b.h.drain();
    expect(b.started).toHaveLength(0);
  });

  test("a stale second writer conflicts at the log, reloads and decides again on what the other wrote", async () => {
    const a = host();
    const b = host();
    await a.h.execute("h2", cmd("create", {}));
    await b.h.read("h2"); // b caches the state as of now
    await a.h.execute("h2", cmd("send", { text: "from a" }));
    // b's append names a stale sequence: conflict; b reloads, sees a's message and the running run.
    await expect(b.h.execute("h2", cmd("send", { text: "from b" }))).rejects.toMatchObject({ code: "session_busy" });
    const events = (await log.load("session", "h2")).records.flatMap((r) => (r.ok ? [r.event] : []));
    expect(events.map((e) => e.type)).toEqual(["session.created", "session.user_message"]);
    expect(events[1].data).toMatchObject({ text: "from a" });
    expect(b.started).toEqual([]);
  });

  test("commands on one aggregate run one at a time", async () => {
    const a = host();
    await a.h.execute("h3", cmd("create", {}));
    const results = await Promise.allSettled([1, 2, 3].map((i) => a.h.execute("h3", cmd("send", { text: `m${i}` }))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
      "session_busy",
      "session_busy",
    ]);
  });

  test("hydrates from a snapshot plus later events, to the same state as a full replay", async () => {
    const a = host(2);
    await a.h.execute("h4", cmd("create", { title: "snap" }));
    for (let i = 0; i < 3; i++) {
      const { runId } = (await a.h.execute("h4", cmd("send", { text: `q${i}` }))) as { runId: string };
      await a.h.execute("h4", cmd("end_run", { runId, status: "completed" }));
    }
    await new Promise((r) => setTimeout(r, 200)); // snapshot writes are asynchronous
    const snap = await snapshots.get("session", "h4");
    expect(snap).not.toBeNull();
    expect(snap!.seq).toBeLessThanOrEqual(await log.lastSeqOf("session", "h4"));
    const fromSnapshot = (await host().h.read("h4")).snapshot.context;
    const noSnapshots = new AggregateHost(spec, {
      log,
      snapshots: { get: async () => null, put: async () => false } as never,
      now: () => 1,
      newId: () => "x",
      report: () => {},
    });
    const replayed = (await noSnapshots.read("h4")).snapshot.context;
    expect(fromSnapshot).toEqual(replayed);
    expect(replayed.messageCount).toBe(6);
  });

  test("a snapshot never moves backwards", async () => {
    await snapshots.put("session", "h5", { seq: 10, machineVersion: 1, state: { value: "idle", context: {} } });
    expect(await snapshots.put("session", "h5", { seq: 5, machineVersion: 1, state: { value: "idle", context: {} } })).toBe(false);
    expect((await snapshots.get("session", "h5"))!.seq).toBe(10);
  });
});

describe("the host's memory", () => {
  test("keeps at most cacheSize aggregates hydrated; an evicted one rehydrates to the same state", async () => {
    const h = new AggregateHost(spec, { log, snapshots, now: () => 1, newId: () => `c${++n}`, report: () => {}, cacheSize: 2 });
    for (const id of ["c1", "c2", "c3"]) await h.execute(id, cmd("create", { title: id }));
    expect((h as unknown as { cache: Map<string, unknown> }).cache.size).toBe(2);
    expect((await h.read("c1")).snapshot.context.title).toBe("c1");
  });
});

describe("effects: a typed table, supervised, re-armed on adoption", () => {
  const fresh = () => new AggregateHost(spec, { log, snapshots, now: () => 1000, newId: () => `e${++n}`, report: () => {} });
  const noSupervisor = async (f: { error: unknown }) => {
    throw f.error;
  };

  test("attaching effects without one the machine declares is refused at start, naming it", () => {
    const h = fresh();
    expect(() => h.setEffects({ startRun: async () => {}, announceRunEnded: () => {} }, noSupervisor)).toThrow(
      /session effects not implemented: adoptRun/,
    );
  });

  test("an effect that throws goes to the supervisor with its params, never only to the log", async () => {
    const h = fresh();
    const failures: unknown[] = [];
    h.setEffects(
      {
        startRun: async () => {
          throw new Error("no model");
        },
        announceRunEnded: () => {},
        adoptRun: async () => {},
      },
      async (f) =>
        void failures.push({
          action: f.action,
          id: f.id,
          runId: (f.params as { runId: string }).runId,
          message: (f.error as Error).message,
        }),
    );
    const { runId } = (await h.execute("e1", cmd("send", { text: "hi", createIfMissing: true }))) as { runId: string };
    await h.drain();
    expect(failures).toEqual([{ action: "startRun", id: "e1", runId, message: "no model" }]);
  });

  test("adopt re-arms what the state needs once; an aggregate with effects running here is not re-armed", async () => {
    const a = host();
    await a.h.execute("e2", cmd("send", { text: "hi", createIfMissing: true }));
    await a.h.drain();
    // Another process takes the session over: its running state re-arms the adoption of its run.
    const adopted: string[] = [];
    const b = fresh();
    let release = () => {};
    b.setEffects(
      {
        startRun: async () => {},
        announceRunEnded: () => {},
        adoptRun: (p: { runId: string }) => {
          adopted.push(p.runId);
          return new Promise<void>((r) => (release = r));
        },
      },
      noSupervisor,
    );
    const first = b.adopt("e2");
    await new Promise((r) => setTimeout(r, 50));
    expect(adopted).toHaveLength(1);
    // While that effect runs, adopting again re-arms nothing (and does not wait for it).
    expect((await b.adopt("e2")).value).toBe("running");
    expect(adopted).toHaveLength(1);
    release();
    expect((await first).value).toBe("running");
    // An idle session re-arms nothing.
    await b.execute("e3", cmd("create", {}));
    await b.adopt("e3");
    expect(adopted).toHaveLength(1);
  });
});
