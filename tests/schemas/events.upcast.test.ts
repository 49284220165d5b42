import { describe, expect, test } from "vitest";
import { decodeEventData, eventRegistry, type EventVersions } from "../../schemas/index.ts";

const v1 = { runId: "r1", status: "completed", messageId: "a-r1", text: "hello" };

describe("event versions evolve through upcasters", () => {
  test("a stored session.run_ended v1 decodes as the current version: the copied text is dropped", () => {
    expect(eventRegistry["session.run_ended"].version).toBe(2);
    expect(decodeEventData("session.run_ended", 1, v1)).toEqual({ runId: "r1", status: "completed", messageId: "a-r1" });
    const failed = { ...v1, status: "failed", error: { code: "timeout", message: "late" } };
    expect(decodeEventData("session.run_ended", 1, failed)).toEqual({
      runId: "r1",
      status: "failed",
      messageId: "a-r1",
      error: { code: "timeout", message: "late" },
    });
  });

  test("the current version decodes as is", () => {
    expect(decodeEventData("session.run_ended", 2, { runId: "r1", status: "cancelled", messageId: "a-r1" })).toEqual({
      runId: "r1",
      status: "cancelled",
      messageId: "a-r1",
    });
  });

  test("an old payload is checked against its own version's schema before it is upcast", () => {
    const { text: _t, ...noText } = v1;
    expect(() => decodeEventData("session.run_ended", 1, noText)).toThrow(/version 1.*text/s);
  });

  test("a newer version, or one that is not a version, stays a visible failure", () => {
    expect(() => decodeEventData("session.run_ended", 3, v1)).toThrow(
      expect.objectContaining({
        code: "internal",
        message: expect.stringMatching(/schema version 3; this cairn understands versions 1 to 2/),
      }),
    );
    expect(() => decodeEventData("session.run_ended", 0, v1)).toThrow(expect.objectContaining({ code: "internal" }));
    expect(() => decodeEventData("session.run_ended", Number.NaN, v1)).toThrow(expect.objectContaining({ code: "internal" }));
  });

  test("every event type past version 1 has a step from each older version", () => {
    for (const [type, entry] of Object.entries(eventRegistry) as [string, EventVersions][]) {
      for (let v = 1; v < entry.version; v++) expect(entry.upcasters?.[v], `${type}: no upcaster from version ${v}`).toBeDefined();
    }
  });
});
