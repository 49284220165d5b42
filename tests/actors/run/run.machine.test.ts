import { describe, expect, test } from "vitest";
import { runSpec } from "../../../actors/run/run.commands.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const started: NewEvent = { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/x", triggerMessageId: "m1" } };

describe("run: given events, when a command, then events", () => {
  test("start records run.started once and calls the model after the fact", () => {
    const d = given(runSpec, "r1", []).when("start", { sessionKey: "s1", model: "openai/x", triggerMessageId: "m1" });
    expect(d.events).toEqual([started]);
    expect(d.actions).toEqual([
      {
        type: "callModel",
        params: {
          runId: "r1",
          sessionKey: "s1",
          startModel: "openai/x",
          model: "openai/x",
          triggerMessageId: "m1",
          startedAt: 5000,
          iteration: 1,
          text: "",
          usage: null,
          callIds: [],
        },
      },
    ]);
    // A retried start never calls the model twice.
    const again = given(runSpec, "r1", [started]).when("start", { sessionKey: "s1", model: "openai/x", triggerMessageId: "m1" });
    expect(again).toMatchObject({ events: [], actions: [] });
  });

  test.each([
    ["complete", { text: "hi", usage: null, finishReason: "stop" }, "run.completed", "completed"],
    ["fail", { error: { code: "provider_error", message: "boom" }, partialText: "h" }, "run.failed", "failed"],
    ["interrupt", { reason: "stopped", partialText: "h" }, "run.interrupted", "interrupted"],
  ])("%s ends the run and reports to the session", (verb, params, type, status) => {
    const d = given(runSpec, "r1", [started]).when(verb, params);
    expect(d.events.map((e) => e.type)).toEqual([type]);
    expect(d.actions).toEqual([{ type: "reportEnd", params: expect.objectContaining({ sessionKey: "s1", runId: "r1", status }) }]);
  });

  test("an ended run ignores further ends; replay runs no effect", () => {
    const ended: NewEvent = { type: "run.completed", data: { text: "hi", usage: null, finishReason: "stop" } };
    const g = given(runSpec, "r1", [started, ended]);
    expect(g.snapshot.value).toBe("ended");
    expect(g.snapshot.context).toMatchObject({ status: "completed", text: "hi" });
    expect(g.when("fail", { error: { code: "internal", message: "x" }, partialText: "" }).events).toEqual([]);
  });

  test("an interrupted run keeps its partial text", () => {
    const g = given(runSpec, "r1", [started, { type: "run.interrupted", data: { reason: "crash", partialText: "par" } }]);
    expect(g.snapshot.context).toMatchObject({ status: "interrupted", text: "par", error: { code: "run_interrupted", message: "crash" } });
  });
});
