/**
 * The agent loop as the run machine: which effect each step of the log calls for, and what a host
 * taking the run over after a crash re-arms (`cairn.hydrated`) — no I/O, the machine alone.
 */
import { describe, expect, test } from "vitest";
import { runSpec } from "../../../actors/run/index.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const started: NewEvent = { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/a", triggerMessageId: "m1" } };
const usage = { inputTokens: 10, outputTokens: 2 };
const req = (callId: string, iteration: number, reply?: { text: string; usage: typeof usage | null }): NewEvent => ({
  type: "run.tool_call_requested",
  data: { callId, name: "glob", arguments: "{}", iteration, ...(reply ? { reply } : {}) },
});
const toolStarted = (callId: string): NewEvent => ({ type: "run.tool_started", data: { callId } });
const finished = (callId: string): NewEvent => ({
  type: "run.tool_finished",
  data: { callId, output: "o", truncated: false, isError: false, durationMs: 1 },
});

describe("the agent loop is the run machine", () => {
  test("the last result of a tool step calls the model again, with the reply and tokens so far; earlier results do not", () => {
    const g = given(runSpec, "r1", [
      started,
      req("c1", 1, { text: "Looking.", usage }),
      req("c2", 1),
      toolStarted("c1"),
      toolStarted("c2"),
    ]);
    expect(g.snapshot.value).toEqual({ running: "tools" });
    expect(g.snapshot.context).toMatchObject({ text: "Looking.", usage, iteration: 1 });
    expect(g.when("finish_tool", finished("c1").data).actions).toEqual([]);
    const last = given(runSpec, "r1", [
      started,
      req("c1", 1, { text: "Looking.", usage }),
      req("c2", 1),
      toolStarted("c1"),
      toolStarted("c2"),
      finished("c1"),
    ]).when("finish_tool", finished("c2").data);
    expect(last.actions).toEqual([
      {
        type: "callModel",
        params: expect.objectContaining({
          iteration: 2,
          text: "Looking.",
          usage,
          callIds: ["c1", "c2"],
          model: "openai/a",
          startModel: "openai/a",
        }),
      },
    ]);
  });

  test("a refusal counts as the call's result: the step ends when every call has one", () => {
    const g = given(runSpec, "r1", [started, req("c1", 1)]);
    expect(g.when("refuse_tool", { callId: "c1", output: "denied" }).actions.map((a) => a.type)).toEqual(["callModel"]);
  });

  test("replies of several model calls join as paragraphs, tokens add up", () => {
    const g = given(runSpec, "r1", [
      started,
      req("c1", 1, { text: "One.", usage }),
      toolStarted("c1"),
      finished("c1"),
      req("c2", 2, { text: "Two.", usage }),
    ]);
    expect(g.snapshot.context).toMatchObject({ text: "One.\n\nTwo.", usage: { inputTokens: 20, outputTokens: 4 }, iteration: 2 });
  });

  test("a switch follows the chain from the model the run is on; the loop state is kept", () => {
    const sw: NewEvent = {
      type: "run.model_switched",
      data: { from: "openai/a", to: "openai/b", error: { code: "provider_overloaded", message: "x" }, cooldownUntil: 0 },
    };
    const g = given(runSpec, "r1", [started, sw]);
    expect(g.snapshot.value).toEqual({ running: "calling" });
    expect(g.snapshot.context).toMatchObject({ startModel: "openai/a", model: "openai/b" });
  });
});

describe("taken over after a crash (cairn.hydrated)", () => {
  test("new: nothing to re-arm (the session ends a run that never started)", () => {
    expect(given(runSpec, "r1", []).hydrated()).toEqual([]);
  });

  test("caught while the model was answering: interrupted, the model is not asked again", () => {
    expect(given(runSpec, "r1", [started]).hydrated()).toEqual([
      { type: "interruptOrphan", params: { runId: "r1", sessionKey: "s1", startedAt: 1000 } },
    ]);
  });

  test("at the tool step with nothing started (an approval pending): every requested call goes on", () => {
    const actions = given(runSpec, "r1", [started, req("c1", 1), req("c2", 1), toolStarted("c2"), finished("c2"), req("c3", 1)]).hydrated();
    expect(actions.map((a) => [a.type, (a.params as { call: { callId: string } }).call.callId])).toEqual([
      ["runTool", "c1"],
      ["runTool", "c3"],
    ]);
  });

  test("with a call that had started: the run is interrupted, the call never runs again", () => {
    const actions = given(runSpec, "r1", [started, req("c1", 1), req("c2", 1), toolStarted("c1")]).hydrated();
    expect(actions.map((a) => a.type)).toEqual(["interruptOrphan"]);
  });

  test("ended: the end is reported to the session again (its end_run is idempotent)", () => {
    const g = given(runSpec, "r1", [started, { type: "run.completed", data: { text: "hi", usage: null, finishReason: "stop" } }]);
    expect(g.hydrated()).toEqual([{ type: "reportEnd", params: { sessionKey: "s1", runId: "r1", status: "completed" } }]);
  });
});
