/**
 * Time travel (`cairn sessions at`): a session recorded on real parts (nats-server, the log, the
 * actors, bubblewrap, an approval) is, at every one of its events, exactly what the live read
 * models held when the log stood at that sequence — checked against a replay of the whole log to
 * that sequence (which tests/e2e/replay.test.ts proves equal to the live rows) — and a point in
 * time resolves to the last event appended by then.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { approvalIdFor } from "../../actors/approval/index.ts";
import { loadSessionEvents, openDb, queries, replayInto, SessionEventsCache, sessionAt } from "../../projections/index.ts";
import type { LiveSessionMessage } from "../../schemas/index.ts";
import { chatUntilEnded } from "../fixtures/stack.ts";
import { useAgentSystems } from "../fixtures/agent-system.ts";

const ctx = useAgentSystems("cairn-at-");
const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });
/** A chat's live messages: every approval asked for is granted. */
const approveWhenAsked = (m: LiveSessionMessage) => {
  if (m.type === "run.approval" && m.status === "pending")
    void request(ctx.s.nc, subjects.command("approval", m.approvalId, "approve"), { by: "test" });
};

/** The session as a full replay to `seq` shows it: the live read models' rows at that point. */
const replayedAt = async (key: string, seq: number, n: number) => {
  const r = await replayInto({ dir: join(ctx.root, `replay-${n}`), toSeq: seq, log: ctx.s.log });
  const db = openDb(r.file).db;
  try {
    const q = queries(() => db);
    const exists = db.prepare("SELECT 1 FROM sessions WHERE key = ? AND deleted_at IS NULL").get(key) !== undefined;
    if (!exists) return { session: null, messages: [], toolCalls: [], approvals: [] };
    return {
      session: q.session(key).session,
      messages: q.history(key, 10_000).messages,
      toolCalls: q.toolCalls(key, 10_000),
      approvals: q.approvals(undefined, 10_000).filter((a) => a.sessionKey === key),
    };
  } finally {
    db.close();
  }
};

describe("sessions at", () => {
  test("at each of a recorded session's events, equal to the read models at that sequence", async () => {
    await ctx.start({ workspaceRoot: ctx.root, exec: { sandbox: "bubblewrap" } });
    const key = "tt-1";
    ctx.s.llm.reset();
    // The scripted replies are served in order, one per model call.
    ctx.s.llm.script(
      { chunks: ["hello there"] },
      { chunks: ["elsewhere"] },
      { toolCalls: [exec("call_t", "touch made.txt")] },
      { chunks: ["made it"] },
    );
    await chatUntilEnded(ctx.s.nc, key, "hi");
    // Another session's events interleave; they must not leak into this one's view.
    await chatUntilEnded(ctx.s.nc, "tt-other", "unrelated");
    await chatUntilEnded(ctx.s.nc, key, "make a file", {
      onLive: approveWhenAsked,
    });
    await request(ctx.s.nc, subjects.command("session", key, "set_model"), { model: "openai/other-model" });
    await request(ctx.s.nc, subjects.command("session", key, "delete"), {});

    const s = await loadSessionEvents(ctx.s.log, key, approvalIdFor);
    const types = s.events.map((e) => e.type);
    expect(types).toContain("approval.granted");
    expect(types).toContain("run.tool_finished");
    expect(s.events.every((e, i) => i === 0 || e.seq > s.events[i - 1].seq)).toBe(true);

    let n = 0;
    for (const e of s.events) {
      const at = sessionAt(s, { seq: e.seq });
      expect(at.seq).toBe(e.seq);
      const want = await replayedAt(key, e.seq, n++);
      const got = { session: at.session, messages: at.messages, toolCalls: at.toolCalls, approvals: at.approvals };
      expect(got, `at ${e.seq} (${e.type})`).toEqual(want);
    }
    // The middle of the story, spelled out: the tool call awaits its approval, nothing ran yet.
    const asked = s.events.find((e) => e.type === "approval.requested")!;
    const waiting = sessionAt(s, { seq: asked.seq });
    expect(waiting.toolCalls.map((c) => [c.callId, c.status])).toEqual([["call_t", "awaiting_approval"]]);
    expect(waiting.approvals.map((a) => a.status)).toEqual(["pending"]);
    expect(waiting.activeRun).not.toBeNull();
    expect(waiting.messages.map((m) => m.text)).toEqual(["hi", "hello there", "make a file"]);
    const modelSet = s.events.find((e) => e.type === "session.model_set")!;
    expect(sessionAt(s, { seq: modelSet.seq - 1 }).session?.model).not.toBe("openai/other-model");
    expect(sessionAt(s, { seq: modelSet.seq }).session?.model).toBe("openai/other-model");
    // After the deletion there is nothing to show, and the view says why.
    expect(sessionAt(s, { seq: s.events.at(-1)!.seq })).toMatchObject({ deleted: true, session: null, messages: [] });
  }, 120_000);

  test("a time resolves to the last event appended by then; before the first, nothing", async () => {
    await ctx.start({ workspaceRoot: ctx.root });
    ctx.s.llm.reset();
    ctx.s.llm.script({ chunks: ["one"] });
    await chatUntilEnded(ctx.s.nc, "tt-2", "first");
    const s = await loadSessionEvents(ctx.s.log, "tt-2", approvalIdFor);
    const first = s.events[0];
    expect(sessionAt(s, { time: first.time - 1 })).toMatchObject({ seq: 0, applied: 0, session: null, messages: [] });
    const last = s.events.at(-1)!;
    const end = sessionAt(s, { time: last.time });
    expect(end.seq).toBe(last.seq);
    expect(end.applied).toBe(s.events.length);
    expect(end.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "first"],
      ["assistant", "one"],
    ]);
  });

  test("a cached session brought up to date equals a fresh load (new turns, a new run and approval; others skipped)", async () => {
    await ctx.start({ workspaceRoot: ctx.root, exec: { sandbox: "bubblewrap" } });
    const key = "tt-3";
    ctx.s.llm.reset();
    ctx.s.llm.script(
      { chunks: ["first"] },
      { chunks: ["elsewhere"] },
      { toolCalls: [exec("call_c", "touch c.txt")] },
      { chunks: ["done"] },
    );
    await chatUntilEnded(ctx.s.nc, key, "one");
    const cache = new SessionEventsCache(ctx.s.log, approvalIdFor);
    const before = await cache.get(key);
    await chatUntilEnded(ctx.s.nc, "tt-3-other", "unrelated");
    await chatUntilEnded(ctx.s.nc, key, "make c", {
      onLive: approveWhenAsked,
    });
    const after = await cache.get(key);
    const fresh = await loadSessionEvents(ctx.s.log, key, approvalIdFor);
    expect(after.events.length).toBeGreaterThan(before.events.length);
    expect(after.events.map((e) => e.type)).toContain("approval.granted");
    expect(after.events).toEqual(fresh.events);
    expect([...after.aggregates].sort()).toEqual([...fresh.aggregates].sort());
    expect((await cache.get(key)).events).toEqual(fresh.events);
  }, 60_000);

  test("a session the log never had is session_not_found", async () => {
    await expect(loadSessionEvents(ctx.s.log, "tt-never", approvalIdFor)).rejects.toMatchObject({ code: "session_not_found" });
  });
});
