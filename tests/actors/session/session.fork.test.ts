import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { MAX_FORK_BYTES, planFork } from "../../../actors/session/session.fork.ts";
import { nextTranscript } from "../../../actors/session/session.transcript.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const spec = createSessionSpec((m) => m ?? "openai/gpt-4o-mini");

const created: NewEvent = { type: "session.created", data: { key: "p", title: "Plans", model: "openai/big" } };
const ask = (n: number): NewEvent => ({
  type: "session.user_message",
  data: { messageId: `m${n}`, text: `question ${n}`, runId: `r${n}` },
});
const answer = (n: number): NewEvent => ({
  type: "session.run_ended",
  data: { runId: `r${n}`, status: "completed", messageId: `a-r${n}` },
});
/** The transcript of `events` as the log gives it: run `rN` replied `answer N` (the text is the run's). */
const transcript = (events: NewEvent[]) =>
  events.reduce(
    (ms, e, i) => nextTranscript(ms, { ...e, seq: i + 1, time: 1000 + i } as never, (runId) => `answer ${runId.slice(1)}`),
    [] as ReturnType<typeof nextTranscript>,
  );
/** A parent with two finished exchanges (4 messages), a docker sandbox and routed to a node. */
const parentEvents: NewEvent[] = [
  created,
  ask(1),
  answer(1),
  { type: "session.sandbox_set", data: { sandbox: "docker" } },
  { type: "session.node_set", data: { node: "build1" } },
  ask(2),
  answer(2),
];
const parent = () => given(spec, "p", parentEvents).snapshot.context;

describe("fork: what the fork holds", () => {
  test("copies the first N messages, the model, the sandbox and the node; records parent, fork point and label", () => {
    const plan = planFork("p", parent(), transcript(parentEvents), { messageIndex: 2, label: "try B" });
    expect(plan).toMatchObject({
      parentKey: "p",
      forkPoint: 2,
      label: "try B",
      title: "try B",
      model: "openai/big",
      sandbox: "docker",
      node: "build1",
    });
    expect(given(spec, "f", [{ type: "session.forked", data: { key: "f", ...plan } }]).snapshot.context.node).toBe("build1");
    expect(plan.messages.map((m) => [m.id, m.role, m.text])).toEqual([
      ["m1", "user", "question 1"],
      ["a-r1", "assistant", "answer 1"],
    ]);
  });

  test("without an index every message is copied; without a label the title says it is a fork", () => {
    const plan = planFork("p", parent(), transcript(parentEvents), {});
    expect(plan.forkPoint).toBe(4);
    expect(plan.messages).toHaveLength(4);
    expect(plan.title).toBe("Plans (fork)");
    expect(plan.label).toBeNull();
    // An untitled parent is named by its first message, as the sidebar names it.
    const untitledEvents: NewEvent[] = [{ type: "session.created", data: { key: "q", title: "", model: null } }, ask(1), answer(1)];
    const untitled = given(spec, "q", untitledEvents).snapshot.context;
    expect(planFork("q", untitled, transcript(untitledEvents), {}).title).toBe("question 1 (fork)");
  });

  test("an index beyond the messages is a bad_request that names the count", () => {
    expect(() => planFork("p", parent(), transcript(parentEvents), { messageIndex: 5 })).toThrow(
      expect.objectContaining({
        code: "bad_request",
        message: expect.stringMatching(/has 4 finished message\(s\).*not 5/),
        details: { messageCount: 4 },
      }),
    );
    expect(planFork("p", parent(), transcript(parentEvents), { messageIndex: 0 }).messages).toEqual([]);
  });

  test("with a reply streaming, only finished messages are copied (not the question still being answered)", () => {
    const runningEvents = [...parentEvents, ask(3)];
    const running = given(spec, "p", runningEvents).snapshot;
    expect(running.value).toBe("running");
    const plan = planFork("p", running.context, transcript(runningEvents), {});
    expect(plan.forkPoint).toBe(4);
    expect(plan.messages.map((m) => m.id)).not.toContain("m3");
    expect(() => planFork("p", running.context, transcript(runningEvents), { messageIndex: 5 })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/still streaming/) }),
    );
  });

  test("a copy too large for one event is refused with the way out", () => {
    const big = "x".repeat(90_000);
    const events: NewEvent[] = [created];
    for (let i = 1; i <= 10; i++) events.push({ ...ask(i), data: { ...ask(i).data, text: big } } as NewEvent, answer(i));
    const ctx = given(spec, "p", events).snapshot.context;
    expect(() => planFork("p", ctx, transcript(events), {})).toThrow(
      expect.objectContaining({ code: "bad_request", message: expect.stringMatching(/fork at an earlier message/) }),
    );
    expect(planFork("p", ctx, transcript(events), { messageIndex: 4 }).messages).toHaveLength(4);
    expect(MAX_FORK_BYTES).toBeLessThan(1024 * 1024);
  });
});

describe("fork: the fork's aggregate decides one creation event", () => {
  const plan = () => planFork("p", parent(), transcript(parentEvents), { messageIndex: 2, label: "try B" });

  test("create_fork on a new key: one session.forked carrying the messages, with a deterministic event id", () => {
    const d = given(spec, "f1", []).when("create_fork", plan());
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      type: "session.forked",
      data: { key: "f1", parentKey: "p", forkPoint: 2, label: "try B", sandbox: "docker" },
    });
    expect(d.eventIds).toEqual(["fork-f1"]);
    expect(d.reply).toEqual({ sessionKey: "f1", parentKey: "p", forkPoint: 2 });
    expect(d.actions).toEqual([]);
  });

  test("the fork is a normal idle session holding the copied transcript in its one event: it can be sent to", () => {
    const forked = [...given(spec, "f1", []).when("create_fork", plan()).events];
    const g = given(spec, "f1", forked);
    expect(g.snapshot.value).toBe("idle");
    expect(g.snapshot.context).toMatchObject({
      title: "try B",
      model: "openai/big",
      sandbox: "docker",
      fork: { parentKey: "p", forkPoint: 2, label: "try B" },
    });
    expect(transcript(forked).map((m) => m.text)).toEqual(["question 1", "answer 1"]);
    expect(g.snapshot.context).toMatchObject({ messageCount: 2, recentUserMessages: [{ id: "m1", runId: "r1" }] });
    const d = g.when("send", { text: "now B", messageId: "n1" });
    expect(d.events.map((e) => e.type)).toEqual(["session.user_message"]);
    expect(d.actions).toEqual([{ type: "startRun", params: expect.objectContaining({ sessionKey: "f1", model: "openai/big" }) }]);
  });

  test("the same fork again is answered with what exists and writes nothing; another session's key is refused", () => {
    const forked = [...given(spec, "f1", []).when("create_fork", plan()).events];
    expect(given(spec, "f1", forked).when("create_fork", { ...plan(), forkPoint: 3 })).toMatchObject({
      events: [],
      reply: { sessionKey: "f1", parentKey: "p", forkPoint: 2 },
    });
    expect(() => given(spec, "p", parentEvents).when("create_fork", { ...plan(), parentKey: "other" })).toThrow(
      expect.objectContaining({ code: "session_exists" }),
    );
  });
});

describe("delete", () => {
  test("records session.deleted; afterwards every command is session_not_found, deleting again is idempotent", () => {
    const d = given(spec, "p", parentEvents).when("delete", {});
    expect(d.events).toEqual([{ type: "session.deleted", data: {} }]);
    expect(d.reply).toEqual({ sessionKey: "p", deleted: true, alreadyDeleted: false });
    const gone = given(spec, "p", [...parentEvents, ...d.events]);
    expect(gone.snapshot.value).toBe("deleted");
    for (const [verb, params] of [
      ["send", { text: "hi" }],
      ["send", { text: "hi", createIfMissing: true }],
      ["create", {}],
      ["set_model", { model: null }],
      ["set_sandbox", { sandbox: "none" }],
    ] as const) {
      expect(() => gone.when(verb, params), verb).toThrow(
        expect.objectContaining({
          code: "session_not_found",
          message: expect.stringMatching(/^session 'p' was deleted; start a new session under another key$/),
        }),
      );
    }
    expect(gone.when("delete", {})).toMatchObject({ events: [], reply: { deleted: true, alreadyDeleted: true } });
  });

  test("a session that never existed is session_not_found", () => {
    expect(() => given(spec, "x", []).when("delete", {})).toThrow(expect.objectContaining({ code: "session_not_found" }));
  });

  test("with a reply streaming it is refused with session_busy, telling to stop the run first", () => {
    expect(() => given(spec, "p", [...parentEvents, ask(3)]).when("delete", {})).toThrow(
      expect.objectContaining({ code: "session_busy", message: expect.stringMatching(/stop the run/), details: { runId: "r3" } }),
    );
  });
});

describe("set_sandbox", () => {
  test("records session.sandbox_set into the context; the same value is a no-op; null returns to the configuration", () => {
    const d = given(spec, "p", [created]).when("set_sandbox", { sandbox: "bubblewrap" });
    expect(d.events).toEqual([{ type: "session.sandbox_set", data: { sandbox: "bubblewrap" } }]);
    expect(d.reply).toEqual({ sandbox: "bubblewrap", changed: true });
    const g = given(spec, "p", [created, ...d.events]);
    expect(g.snapshot.context.sandbox).toBe("bubblewrap");
    expect(g.when("set_sandbox", { sandbox: "bubblewrap" })).toMatchObject({ events: [], reply: { changed: false } });
    expect(g.when("set_sandbox", { sandbox: null }).events).toEqual([{ type: "session.sandbox_set", data: { sandbox: null } }]);
    expect(given(spec, "p", [created]).snapshot.context.sandbox).toBeNull();
  });

  test("allowed while a reply streams; refused for an unknown session or backend", () => {
    expect(given(spec, "p", [created, ask(1)]).when("set_sandbox", { sandbox: "none" }).events).toHaveLength(1);
    expect(() => given(spec, "x", []).when("set_sandbox", { sandbox: "none" })).toThrow(
      expect.objectContaining({ code: "session_not_found" }),
    );
    expect(() => given(spec, "p", [created]).when("set_sandbox", { sandbox: "chroot" })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });
});
