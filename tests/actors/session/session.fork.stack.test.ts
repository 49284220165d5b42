import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { branchSessionTool } from "../../../actors/tools/branch-session.tool.ts";
import { ToolRegistry } from "../../../actors/tools/index.ts";
import { ForkSessionResult, decodeLenient } from "../../../schemas/index.ts";
import { aggregateEvents, chatUntilEnded, startStack, type Stack } from "../../fixtures/stack.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.stop();
});

const cmd = (key: string, verb: string, params: unknown) => s.sessionCommand(key, verb, params);
/** As the edge sends `sessions.fork`: the fork's key minted by the caller. */
const fork = async (parent: string, params: Record<string, unknown>) =>
  decodeLenient(ForkSessionResult, await cmd(parent, "fork", params), "fork reply");
const settled = () => s.settled();

/** A session with two finished exchanges (4 messages). */
const twoExchanges = async (key: string) => {
  s.llm.script({ chunks: ["answer one"] }, { chunks: ["answer two"] });
  await chatUntilEnded(s.nc, key, "question one");
  await chatUntilEnded(s.nc, key, "question two");
};

describe("sessions.fork through NATS", () => {
  test("the fork holds the first N messages, its parent is untouched, and its next run sees the copied history", async () => {
    await twoExchanges("fp1");
    await cmd("fp1", "set_sandbox", { sandbox: "none" });
    const parentSeq = await s.log.lastSeqOf("session", "fp1");

    const r = await fork("fp1", { forkKey: "fk1", messageIndex: 2, label: "try B" });
    expect(r).toEqual({ sessionKey: "fk1", parentKey: "fp1", forkPoint: 2 });
    // One durable creation event on the fork; nothing written on the parent.
    const events = await aggregateEvents(s.log, "session", "fk1");
    expect(events.map((e) => e.type)).toEqual(["session.forked"]);
    expect(events[0].data).toMatchObject({ parentKey: "fp1", forkPoint: 2, label: "try B", sandbox: "none", title: "try B" });
    expect(await s.log.lastSeqOf("session", "fp1")).toBe(parentSeq);

    await settled();
    expect(s.q.history("fk1").messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "question one"],
      ["assistant", "answer one"],
    ]);

    s.llm.script({ chunks: ["B it is"] });
    await chatUntilEnded(s.nc, "fk1", "and now B?");
    const sent = s.llm.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content);
    expect(sent.slice(-3)).toEqual(["question one", "answer one", "and now B?"]);
    await settled();
    // Independent: the parent's transcript did not grow.
    expect(s.q.history("fp1").messages).toHaveLength(4);
    expect(s.q.history("fk1").messages.map((m) => m.text)).toEqual(["question one", "answer one", "and now B?", "B it is"]);
  });

  test("a retried request (same forkKey) answers the same fork and appends nothing", async () => {
    await twoExchanges("fp2");
    const first = await fork("fp2", { forkKey: "fk2" });
    expect(first).toEqual({ sessionKey: "fk2", parentKey: "fp2", forkPoint: 4 });
    const before = await s.log.lastSeq();
    const [a, b] = await Promise.all([fork("fp2", { forkKey: "fk2" }), fork("fp2", { forkKey: "fk2", messageIndex: 1 })]);
    expect(a).toEqual(first);
    expect(b).toEqual(first);
    expect(await s.log.lastSeq()).toBe(before);
    expect(await aggregateEvents(s.log, "session", "fk2")).toHaveLength(1);
  });

  test("bad forks are typed errors that write nothing", async () => {
    await twoExchanges("fp3");
    const before = await s.log.lastSeq();
    await expect(cmd("fp3", "fork", { forkKey: "fk3", messageIndex: 9 })).rejects.toMatchObject({
      code: "bad_request",
      message: expect.stringMatching(/has 4 finished message/),
    });
    await expect(cmd("nosuch", "fork", { forkKey: "fk3" })).rejects.toMatchObject({ code: "session_not_found" });
    await expect(cmd("fp3", "fork", { forkKey: "fp3" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(cmd("fp3", "fork", { forkKey: "fp1" })).rejects.toMatchObject({ code: "session_exists" });
    await expect(cmd("fp3", "fork", { messageIndex: 1 })).rejects.toMatchObject({ code: "bad_request" });
    expect(await s.log.lastSeq()).toBe(before);
  });

  test("with a reply streaming: the fork copies the finished messages only, and delete is refused", async () => {
    await twoExchanges("fp4");
    s.llm.script({ hang: { text: "thinking " } });
    const r = (await cmd("fp4", "send", { text: "a long one" })) as { runId: string };
    await s.live("fp4", (m) => m.type === "run.delta" && m.runId === r.runId);
    const f = await fork("fp4", { forkKey: "fk4" });
    expect(f.forkPoint).toBe(4);
    await settled();
    expect(s.q.history("fk4").messages.map((m) => m.text)).not.toContain("a long one");
    expect(s.q.history("fk4").activeRun).toBeNull();

    await expect(cmd("fp4", "delete", {})).rejects.toMatchObject({ code: "session_busy", message: expect.stringMatching(/stop the run/) });
    expect(s.q.history("fp4").session.activeRunId).toBe(r.runId);
  });
});

describe("sessions.delete and sessions.setSandbox through NATS", () => {
  test("a deleted session refuses commands with session_not_found; its fork lives on; deleting again is idempotent", async () => {
    await twoExchanges("dp1");
    await fork("dp1", { forkKey: "dk1", messageIndex: 2 });
    expect(await cmd("dp1", "delete", {})).toEqual({ sessionKey: "dp1", deleted: true, alreadyDeleted: false });
    await expect(cmd("dp1", "send", { text: "hello?" })).rejects.toMatchObject({
      code: "session_not_found",
      message: expect.stringMatching(/^session 'dp1' was deleted/),
    });
    await expect(cmd("dp1", "send", { text: "hello?", createIfMissing: true })).rejects.toMatchObject({ code: "session_not_found" });
    await expect(cmd("dp1", "fork", { forkKey: "dk2" })).rejects.toMatchObject({ code: "session_not_found" });
    expect(await cmd("dp1", "delete", {})).toMatchObject({ deleted: true, alreadyDeleted: true });
    await expect(cmd("never-was", "delete", {})).rejects.toMatchObject({ code: "session_not_found" });

    // The fork is its own session: it answers, and a retried fork request still names it.
    s.llm.script({ chunks: ["still here"] });
    await chatUntilEnded(s.nc, "dk1", "hi fork");
    expect(await fork("dp1", { forkKey: "dk1" })).toEqual({ sessionKey: "dk1", parentKey: "dp1", forkPoint: 2 });
  });

  test("set_sandbox records the session's own backend; null returns to the configuration; unknown backends are refused", async () => {
    await cmd("sb1", "create", {});
    expect(await cmd("sb1", "set_sandbox", { sandbox: "bubblewrap" })).toEqual({ sandbox: "bubblewrap", changed: true });
    const events = await aggregateEvents(s.log, "session", "sb1");
    expect(events.at(-1)).toMatchObject({ type: "session.sandbox_set", data: { sandbox: "bubblewrap" } });
    await settled();
    expect(s.q.session("sb1").session.sandbox).toBe("bubblewrap");
    // A fork takes the parent's sandbox with it.
    await fork("sb1", { forkKey: "sbf" });
    await cmd("sb1", "set_sandbox", { sandbox: null });
    await expect(cmd("sb1", "set_sandbox", { sandbox: "chroot" })).rejects.toMatchObject({ code: "bad_request" });
    await settled();
    expect(s.q.session("sb1").session.sandbox).toBeNull();
    expect(s.q.session("sbf").session.sandbox).toBe("bubblewrap");
  });
});

describe("branch_session tool", () => {
  test("forks the session the run belongs to, through ActorSystem.fork", async () => {
    await twoExchanges("tp1");
    const tools = new ToolRegistry().register(branchSessionTool((p) => s.actors.fork(p.sessionKey, p)));
    const ctx = { workspace: s.dir, signal: new AbortController().signal, sessionKey: "tp1" };
    const r = await tools.invoke("branch_session", JSON.stringify({ message_index: 3, label: "explore" }), ctx);
    expect(r).toEqual({ ok: true, output: expect.any(String) });
    const key = (r as { output: string }).output.match(/created session (\S+):/)?.[1];
    expect(key).toBeDefined();
    expect((r as { output: string }).output).toContain("a fork of tp1 with its first 3 message(s)");
    await settled();
    expect(s.q.session(key!).session).toMatchObject({ parentKey: "tp1", forkPoint: 3, label: "explore", messageCount: 3 });

    const bad = await tools.invoke("branch_session", JSON.stringify({ message_index: 10 }), ctx);
    expect(bad).toMatchObject({ ok: false, error: { code: "bad_request", message: expect.stringMatching(/has 4 finished message/) } });
    expect(tools.specs()[0].parameters.properties).toMatchObject({
      message_index: { type: "integer", minimum: 0 },
      label: { type: "string" },
    });
  });
});
