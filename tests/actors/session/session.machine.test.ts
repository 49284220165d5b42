import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { RECENT_USER_MESSAGES } from "../../../actors/session/session.machine.ts";
import { CairnError, type NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const spec = createSessionSpec((m) => m ?? "openai/gpt-4o-mini");
const noModel = createSessionSpec(() => {
  throw new CairnError("model_not_configured", "set CAIRN_MODEL");
});

const created: NewEvent = { type: "session.created", data: { key: "s1", title: "", model: null } };
const asked: NewEvent = { type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r1" } };
const answered: NewEvent = { type: "session.run_ended", data: { runId: "r1", status: "completed", messageId: "a-r1" } };

describe("session: given events, when a command, then events", () => {
  test("create on a new session records it; on an existing one changes nothing", () => {
    expect(given(spec, "s1", []).when("create", { title: "Work" }).events).toEqual([
      { type: "session.created", data: { key: "s1", title: "Work", model: null } },
    ]);
    expect(given(spec, "s1", [created]).when("create", {})).toMatchObject({ events: [], reply: { created: false } });
  });

  test("send on an idle session records the message, decides the run and starts it after the fact", () => {
    const d = given(spec, "s1", [created]).when("send", { text: "hi", messageId: "m1" });
    expect(d.events).toEqual([{ type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r-id1" } }]);
    expect(d.eventIds).toEqual(["s1-m1"]);
    expect(d.actions).toEqual([{ type: "startRun", params: { sessionKey: "s1", runId: "r-id1", messageId: "m1", model: null } }]);
  });

  test("send to a session that does not exist: refused unless createIfMissing", () => {
    expect(() => given(spec, "s1", []).when("send", { text: "hi" })).toThrow(expect.objectContaining({ code: "session_not_found" }));
    const d = given(spec, "s1", []).when("send", { text: "hi", createIfMissing: true });
    expect(d.events.map((e) => e.type)).toEqual(["session.created", "session.user_message"]);
  });

  test("send while a run is active is refused with session_busy", () => {
    expect(() => given(spec, "s1", [created, asked]).when("send", { text: "again" })).toThrow(
      expect.objectContaining({ code: "session_busy" }),
    );
  });

  test("the same message id twice is a duplicate, not a second message", () => {
    expect(given(spec, "s1", [created, asked]).when("send", { text: "hi", messageId: "m1" })).toMatchObject({
      events: [],
      reply: { messageId: "m1", runId: "r1", duplicate: true },
    });
    expect(given(spec, "s1", [created, asked, answered]).when("send", { text: "hi", messageId: "m1" }).events).toEqual([]);
  });

  test("without a usable model nothing is decided", () => {
    expect(() => given(noModel, "s1", [created]).when("send", { text: "hi" })).toThrow(
      expect.objectContaining({ code: "model_not_configured" }),
    );
  });

  test("end_run records the end once, for the active run only, without the reply's text (the run holds it)", () => {
    const g = given(spec, "s1", [created, asked]);
    const d = g.when("end_run", { runId: "r1", status: "completed" });
    expect(d.events).toEqual([{ type: "session.run_ended", data: { runId: "r1", status: "completed", messageId: "a-r1" } }]);
    expect(d.actions).toEqual([{ type: "announceRunEnded", params: { sessionKey: "s1", runId: "r1", status: "completed" } }]);
    expect(g.when("end_run", { runId: "other", status: "completed" }).events).toEqual([]);
    expect(given(spec, "s1", [created, asked, answered]).when("end_run", { runId: "r1", status: "completed" }).events).toEqual([]);
    // The old command shape (with the text) is refused: nothing may write the copy again.
    expect(() => g.when("end_run", { runId: "r1", status: "completed", text: "hello" })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });

  test("the context keeps counts and the latest user message ids, never the transcript", () => {
    const s = given(spec, "s1", [created, asked, answered]).snapshot;
    expect(s.value).toBe("idle");
    expect(s.context.messageCount).toBe(2);
    expect(s.context.recentUserMessages).toEqual([{ id: "m1", runId: "r1" }]);
    expect(JSON.stringify(s.context)).not.toContain('"hi"');
    expect(s.context.activeRun).toBeNull();
  });

  test("the remembered user messages are bounded; a send retried within them is still a duplicate", () => {
    const turns: NewEvent[] = [created];
    for (let i = 0; i < RECENT_USER_MESSAGES + 10; i++) {
      turns.push({ type: "session.user_message", data: { messageId: `m${i}`, text: "x".repeat(1000), runId: `r${i}` } });
      turns.push({ type: "session.run_ended", data: { runId: `r${i}`, status: "completed", messageId: `a-r${i}` } });
    }
    const g = given(spec, "s1", turns);
    expect(g.snapshot.context.recentUserMessages).toHaveLength(RECENT_USER_MESSAGES);
    expect(g.snapshot.context.messageCount).toBe(2 * (RECENT_USER_MESSAGES + 10));
    const last = `m${RECENT_USER_MESSAGES + 9}`;
    expect(g.when("send", { text: "x", messageId: last })).toMatchObject({ events: [], reply: { duplicate: true } });
  });

  test("bad params and unknown verbs are typed errors", () => {
    expect(() => given(spec, "s1", [created]).when("send", { text: "" })).toThrow(expect.objectContaining({ code: "bad_request" }));
    expect(() => given(spec, "s1", [created]).when("send", { text: "x", extra: 1 })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
    expect(() => given(spec, "s1", [created]).when("explode", {})).toThrow(expect.objectContaining({ code: "unknown_method" }));
  });
});
