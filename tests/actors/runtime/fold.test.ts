import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initialTransition, setup } from "xstate";
import type { EventLog, SnapshotStore } from "../../../bus/index.ts";
import { AggregateHost, fold, HYDRATED } from "../../../actors/runtime/index.ts";
import { runSpec } from "../../../actors/run/index.ts";
import { createSessionSpec } from "../../../actors/session/index.ts";
import { CairnError, type NewEvent } from "../../../schemas/index.ts";
import { startEventStore, type EventStore } from "../../fixtures/event.store.ts";

const sessionSpec = createSessionSpec(() => "openai/x");
const at = (events: NewEvent[], from = 1) => events.map((e, i) => ({ type: e.type, data: e.data, seq: from + i, time: 1000 + i }) as never);
const start = (m: typeof sessionSpec.machine | typeof runSpec.machine, input: unknown) => initialTransition(m, input as never)[0] as never;

const created: NewEvent = { type: "session.created", data: { key: "s1", title: "", model: null } };
const ended: NewEvent = { type: "session.run_ended", data: { runId: "r9", status: "completed", messageId: "a-r9" } };

describe("the fold fails loudly on an event the machine does not take", () => {
  test("an event no transition of the current state handles: internal, naming kind, type, sequence and state", () => {
    const s0 = start(sessionSpec.machine, sessionSpec.input("s1"));
    let error: unknown;
    try {
      fold(sessionSpec.machine, s0, at([created, ended], 7));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({
      code: "internal",
      details: { kind: "session", type: "session.run_ended", seq: 8, state: "idle" },
    });
    expect((error as Error).message).toMatch(/session machine in state "idle" does not accept 'session.run_ended' at sequence 8/);
  });

  test("a transition whose guard refuses the event counts as not taken (a run switched from a model it is not on)", () => {
    const r0 = start(runSpec.machine, runSpec.input("r1"));
    const events: NewEvent[] = [
      { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/a", triggerMessageId: "m1" } },
      {
        type: "run.model_switched",
        data: { from: "openai/zzz", to: "openai/b", error: { code: "provider_overloaded", message: "x" }, cooldownUntil: 0 },
      },
    ];
    expect(() => fold(runSpec.machine, r0, at(events))).toThrow(
      /run machine in state \{"running":"calling"\} does not accept 'run.model_switched' at sequence 2/,
    );
  });

  test("events the state takes fold as before, and cairn.hydrated is exempt even where no state handles it", () => {
    const s0 = start(sessionSpec.machine, sessionSpec.input("s1"));
    const { snapshot } = fold(sessionSpec.machine, s0, [...at([created]), { type: HYDRATED }]);
    expect(snapshot.value).toBe("idle");
  });

  test("an explicitly empty transition is how a machine accepts an event as a no-op", () => {
    const m = setup({ types: { events: {} as { type: "a" } | { type: "b" } } }).createMachine({
      id: "tiny",
      initial: "one",
      states: { one: { on: { a: "two" } }, two: { on: { a: {} } } },
    });
    const s = initialTransition(m)[0];
    const ev = (type: "a" | "b", seq: number) => ({ type, data: {}, seq, time: 0 }) as never;
    expect(fold(m, s, [ev("a", 1), ev("a", 2)]).snapshot.value).toBe("two");
    expect(() => fold(m, s, [ev("a", 1), ev("b", 2)])).toThrow(/tiny machine in state "two" does not accept 'b' at sequence 2/);
  });
});

describe("hydrating a log the machine disagrees with", () => {
  let store: EventStore;
  let log: EventLog;
  let snapshots: SnapshotStore;
  beforeAll(async () => {
    store = await startEventStore();
    ({ log, snapshots } = store);
  });
  afterAll(() => store.stop());

  test("a stored event the state cannot take fails the load with internal instead of being skipped", async () => {
    // Written straight to the log (no decide): a message to a session that was never created.
    const message: NewEvent = { type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r1" } };
    const [seq] = await log.append({ kind: "session", id: "bad1", expectedSeq: 0, events: [message], eventIds: ["b1"], now: 1 });
    const host = new AggregateHost(sessionSpec, { log, snapshots, now: () => 1, newId: () => "n", report: () => {} });
    await expect(host.read("bad1")).rejects.toMatchObject({
      code: "internal",
      details: { kind: "session", type: "session.user_message", seq, state: "new" },
    });
  });
});
