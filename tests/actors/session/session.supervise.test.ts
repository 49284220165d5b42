/** A session effect that fails is turned into an event: the session is never left busy with a run nothing drives. */
import { describe, expect, test } from "vitest";
import { sessionEffects } from "../../../actors/session/index.ts";
import { CairnError } from "../../../schemas/index.ts";

const calls: unknown[][] = [];
const { supervise } = sessionEffects({
  nc: {} as never,
  dispatch: async (...args) => void calls.push(args),
  defaultModel: async () => null,
  adoptRun: async () => ({ status: "new", error: null }),
});

describe("the session's effect supervisor", () => {
  test("a run that could not be started ends on the session as failed, with the error", async () => {
    calls.length = 0;
    await supervise({
      id: "s1",
      action: "startRun",
      params: { sessionKey: "s1", runId: "r1" },
      error: new CairnError("unavailable", "no bus"),
    });
    expect(calls).toEqual([
      ["session", "s1", "end_run", { runId: "r1", status: "failed", error: { code: "unavailable", message: "no bus" } }],
    ]);
  });

  test("a failure it cannot turn into an event is passed on, not swallowed", async () => {
    await expect(supervise({ id: "s1", action: "announceRunEnded", params: {}, error: new Error("x") })).rejects.toThrow("x");
  });
});
