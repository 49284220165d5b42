import { describe, expect, test } from "vitest";
import { runSpec } from "../../../actors/run/run.commands.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const started: NewEvent = { type: "run.started", data: { runId: "r1", sessionKey: "s1", model: "openai/a", triggerMessageId: "m1" } };
const error = { code: "provider_rate_limited" as const, message: "slow down" };
const switchAB = { from: "openai/a", to: "openai/b", error, cooldownUntil: 31_000 };

describe("run: switch_model (a fallback)", () => {
  test("records run.model_switched, moves the run's model on, and starts nothing", () => {
    const d = given(runSpec, "r1", [started]).when("switch_model", switchAB);
    expect(d.events).toEqual([{ type: "run.model_switched", data: switchAB }]);
    expect(d.eventIds).toEqual(["r1-to-openai/b"]);
    expect(d.actions).toEqual([]);
    expect(d.reply).toEqual({ switched: true });
    const g = given(runSpec, "r1", [started, { type: "run.model_switched", data: switchAB }]);
    expect(g.snapshot.context.model).toBe("openai/b");
    expect(g.snapshot.value).toEqual({ running: "calling" });
  });

  test("is idempotent: a retried switch finds the run already moved and writes nothing", () => {
    const g = given(runSpec, "r1", [started, { type: "run.model_switched", data: switchAB }]);
    expect(g.when("switch_model", switchAB)).toMatchObject({ events: [], reply: { switched: true } });
    // From a model the run is not on: refused quietly.
    expect(g.when("switch_model", { ...switchAB, from: "openai/c", to: "openai/d" })).toMatchObject({
      events: [],
      reply: { switched: false },
    });
  });

  test("an ended run does not switch", () => {
    const ended: NewEvent = { type: "run.failed", data: { error, partialText: "" } };
    expect(given(runSpec, "r1", [started, ended]).when("switch_model", switchAB)).toMatchObject({ events: [], reply: { switched: false } });
  });

  test("the switch params are decoded like any command", () => {
    expect(() => given(runSpec, "r1", [started]).when("switch_model", { from: "openai/a" })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });
});
