import { describe, expect, test } from "vitest";
import { runSpec } from "../../../actors/run/run.commands.ts";
import { RUN_MACHINE_VERSION } from "../../../actors/run/run.machine.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const started: NewEvent = { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/x", triggerMessageId: "m1" } };
const calls = [
  { callId: "c1", name: "read_file", arguments: '{"path":"a"}' },
  { callId: "c2", name: "glob", arguments: '{"pattern":"*"}' },
];
const requested: NewEvent[] = calls.map((c) => ({ type: "run.tool_call_requested", data: { ...c, iteration: 1 } }));
const toolStarted = (callId: string): NewEvent => ({ type: "run.tool_started", data: { callId } });
const finished = (callId: string, isError = false): NewEvent => ({
  type: "run.tool_finished",
  data: { callId, output: "out", truncated: false, isError, durationMs: 3 },
});

describe("run tool calls: given events, when a command, then events", () => {
  test("request_tools records every call of the response in order, each call's runTool is the effect, and is idempotent", () => {
    const d = given(runSpec, "r1", [started]).when("request_tools", { iteration: 1, calls });
    expect(d.events).toEqual(requested);
    expect(d.eventIds).toEqual(["r1-tool-c1-requested", "r1-tool-c2-requested"]);
    // One gate-and-run effect per call, in order, after the calls are durable; nothing else.
    expect(d.actions).toEqual(
      calls.map((call) => ({ type: "runTool", params: { runId: "r1", sessionKey: "s1", startedAt: 1000, text: "", call } })),
    );
    expect(d.reply).toEqual({ requested: true });
    const again = given(runSpec, "r1", [started, ...requested]);
    expect(again.when("request_tools", { iteration: 1, calls })).toMatchObject({ events: [], reply: { requested: true } });
    expect(again.snapshot.context).toMatchObject({
      iteration: 1,
      toolCalls: [
        { callId: "c1", status: "requested" },
        { callId: "c2", status: "requested" },
      ],
    });
  });

  test("a call id already used in the run is refused; an ended run records no calls", () => {
    const g = given(runSpec, "r1", [started, ...requested]);
    expect(() => g.when("request_tools", { iteration: 2, calls: [calls[0], { callId: "c3", name: "glob", arguments: "{}" }] })).toThrow(
      /already recorded/,
    );
    const ended = given(runSpec, "r1", [started, { type: "run.completed", data: { text: "", usage: null, finishReason: "stop" } }]);
    expect(ended.when("request_tools", { iteration: 1, calls })).toMatchObject({ events: [], reply: { requested: false } });
  });

  test("start_tool starts a requested call once: only the first start says started", () => {
    const g = given(runSpec, "r1", [started, ...requested]);
    const d = g.when("start_tool", { callId: "c1" });
    expect(d).toMatchObject({ events: [toolStarted("c1")], eventIds: ["r1-tool-c1-started"], reply: { started: true }, actions: [] });
    const twice = given(runSpec, "r1", [started, ...requested, toolStarted("c1")]);
    expect(twice.when("start_tool", { callId: "c1" })).toMatchObject({ events: [], reply: { started: false } });
    expect(g.when("start_tool", { callId: "nope" })).toMatchObject({ events: [], reply: { started: false } });
  });

  test("finish_tool records the result of a started call once", () => {
    const g = given(runSpec, "r1", [started, ...requested, toolStarted("c1")]);
    expect(g.when("finish_tool", finished("c1", true).data)).toMatchObject({ events: [finished("c1", true)], reply: { finished: true } });
    // Not started: nothing to finish.
    expect(g.when("finish_tool", finished("c2").data)).toMatchObject({ events: [], reply: { finished: false } });
    const done = given(runSpec, "r1", [started, ...requested, toolStarted("c1"), finished("c1", true)]);
    expect(done.snapshot.context.toolCalls[0]).toMatchObject({ status: "finished", isError: true });
    expect(done.when("finish_tool", finished("c1").data).events).toEqual([]);
  });

  test("refuse_tool finishes a requested, never started call with its refusal; never a started one", () => {
    const g = given(runSpec, "r1", [started, ...requested]);
    expect(g.when("refuse_tool", { callId: "c1", output: "denied by the user" })).toMatchObject({
      events: [
        { type: "run.tool_finished", data: { callId: "c1", output: "denied by the user", truncated: false, isError: true, durationMs: 0 } },
      ],
      reply: { finished: true },
    });
    const running = given(runSpec, "r1", [started, ...requested, toolStarted("c1")]);
    expect(running.when("refuse_tool", { callId: "c1", output: "denied" })).toMatchObject({ events: [], reply: { finished: false } });
  });

  test("interrupt with a started, unfinished call: tool_interrupted before run.interrupted; finished and unstarted calls untouched", () => {
    const g = given(runSpec, "r1", [started, ...requested, toolStarted("c1")]);
    const d = g.when("interrupt", { reason: "the gateway stopped", partialText: "" });
    expect(d.events).toEqual([
      { type: "run.tool_interrupted", data: { callId: "c1", reason: "the gateway stopped" } },
      { type: "run.interrupted", data: { reason: "the gateway stopped", partialText: "" } },
    ]);
    expect(d.eventIds).toEqual(["r1-tool-c1-interrupted", "r1-ended"]);
    expect(d.reply).toEqual({ ended: true, interrupted: [{ callId: "c1", name: "read_file" }] });
    // The only effect is reporting the end to the session: the tool is never run again.
    expect(d.actions.map((a) => a.type)).toEqual(["reportEnd"]);

    const after = given(runSpec, "r1", [started, ...requested, toolStarted("c1"), ...d.events]);
    expect(after.snapshot.value).toBe("ended");
    expect(after.snapshot.context.toolCalls).toMatchObject([
      { callId: "c1", status: "interrupted", isError: true },
      { callId: "c2", status: "requested" },
    ]);
    expect(after.when("start_tool", { callId: "c1" })).toMatchObject({ events: [], reply: { started: false } });
    expect(after.when("start_tool", { callId: "c2" })).toMatchObject({ events: [], reply: { started: false } });
  });

  test("a failure (timeout) also marks the running call interrupted", () => {
    const g = given(runSpec, "r1", [started, ...requested, toolStarted("c2"), finished("c2")]);
    expect(g.when("fail", { error: { code: "timeout", message: "too slow" }, partialText: "" }).events.map((e) => e.type)).toEqual([
      "run.failed",
    ]);
    const h = given(runSpec, "r1", [started, ...requested, toolStarted("c1")]);
    expect(h.when("fail", { error: { code: "timeout", message: "too slow" }, partialText: "" }).events).toEqual([
      { type: "run.tool_interrupted", data: { callId: "c1", reason: "too slow" } },
      { type: "run.failed", data: { error: { code: "timeout", message: "too slow" }, partialText: "" } },
    ]);
  });

  test("the machine version moved on with the context (older snapshots are replayed)", () => {
    expect(RUN_MACHINE_VERSION).toBe(5);
  });
});
