/**
 * Compaction as a step of the run machine: decided by the machine (once per model call), the
 * summary an effect, and what a host taking the run over re-arms — no I/O.
 */
import { describe, expect, test } from "vitest";
import { runSpec } from "../../../actors/run/index.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const started: NewEvent = { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/a", triggerMessageId: "m1" } };
const compaction = { compactionId: "r1-c1", iteration: 1, tokens: 900, contextWindow: 600 };
const compStarted: NewEvent = { type: "run.compaction_started", data: compaction };
const compacted: NewEvent = { type: "run.compacted", data: { compactionId: "r1-c1" } };

describe("compaction in the run machine", () => {
  test("a call over the window moves the run to compacting and asks for the summary (recorded first)", () => {
    const d = given(runSpec, "r1", [started]).when("start_compaction", compaction);
    expect(d.events).toEqual([compStarted]);
    expect(d.eventIds).toEqual(["r1-compact-1"]);
    expect(d.actions).toEqual([
      {
        type: "compact",
        params: expect.objectContaining({ runId: "r1", compactionId: "r1-c1", iteration: 1, resume: false, model: "openai/a" }),
      },
    ]);
  });

  test("the recorded summary lets the same model call go on; it is never compacted twice", () => {
    const g = given(runSpec, "r1", [started, compStarted]);
    expect(g.snapshot.value).toEqual({ running: "compacting" });
    const d = g.when("finish_compaction", { compactionId: "r1-c1" });
    expect(d.actions).toEqual([{ type: "callModel", params: expect.objectContaining({ iteration: 1, compactedFor: 1 }) }]);
    const after = given(runSpec, "r1", [started, compStarted, compacted]);
    expect(after.when("start_compaction", compaction)).toMatchObject({ events: [], reply: { started: false } });
    // Another compaction's end, or one for a later call while this one runs, changes nothing.
    expect(g.when("finish_compaction", { compactionId: "other" })).toMatchObject({ events: [], reply: { finished: false } });
    expect(g.when("start_compaction", { ...compaction, compactionId: "r1-c2", iteration: 2 }).events).toEqual([]);
  });

  test("a compaction only precedes the next model call, only while calling", () => {
    const g = given(runSpec, "r1", [started]);
    expect(g.when("start_compaction", { ...compaction, iteration: 2 }).events).toEqual([]);
    expect(given(runSpec, "r1", []).when("start_compaction", compaction).events).toEqual([]);
  });

  test("adopted mid-compaction: `compact` again, told to resume (use a recorded summary, never ask twice)", () => {
    expect(given(runSpec, "r1", [started, compStarted]).hydrated()).toEqual([
      { type: "compact", params: expect.objectContaining({ compactionId: "r1-c1", resume: true }) },
    ]);
  });

  test("a run cancelled or failed while compacting ends like any other step", () => {
    const d = given(runSpec, "r1", [started, compStarted]).when("cancel", { by: "web", partialText: "" });
    expect(d.events.map((e) => e.type)).toEqual(["run.cancelled"]);
    expect(d.actions.map((a) => a.type)).toEqual(["reportEnd"]);
  });
});
