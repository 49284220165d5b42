/**
 * The tool cards' read model (`tool_calls`, served as `q.tools.list`) on real parts: NATS, the
 * log, the projector, the scripted LLM server and real bubblewrap. A row follows its call from
 * request through approval to its end, rows come back oldest first per session, and a rebuild
 * from the log gives the same rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SnapshotStore, request, subjects } from "../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../actors/index.ts";
import { buildFresh, installRebuilt, queries } from "../../projections/index.ts";
import type { LiveSessionMessage, ToolCallRow } from "../../schemas/index.ts";
import { chatUntilEnded, startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
let sys: ActorSystem;
let root: string;

beforeAll(async () => {
  s = await startStack();
  // The stack's own actor system offers no tools: one with exec (always asking) replaces it.
  await s.actors.stop();
  root = mkdtempSync(join(tmpdir(), "cairn-toolcards-"));
  sys = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots: await SnapshotStore.open(s.nc),
    model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
    agent: { workspaceRoot: root, exec: { sandbox: "bubblewrap", approvalMode: "always" } },
  });
}, 60_000);

afterAll(async () => {
  await sys?.stop();
  await s?.stop();
  rmSync(root, { recursive: true, force: true });
});

const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });
const answer = (id: string, verb: "approve" | "deny", params: Record<string, unknown>) =>
  request(s.nc, subjects.command("approval", id, verb), params);
const caughtUp = async () => s.projector.waitFor(await s.log.lastSeq());
const listed = async (params: Record<string, unknown>) =>
  (await request(s.nc, subjects.query("tools", "list"), params)) as { calls: ToolCallRow[]; checkpoint: number };

type Approval = Extract<LiveSessionMessage, { type: "run.approval" }>;

describe("tool_calls: one row per call, from request to end", () => {
  let runId: string;
  const seenWhilePending: ToolCallRow[][] = [];

  beforeAll(async () => {
    s.llm.script({ toolCalls: [exec("call_ok", "echo kept"), exec("call_no", "rm -rf stuff")] }, { chunks: ["one ran"] });
    const pending: Approval[] = [];
    const r = await chatUntilEnded(s.nc, "cards-1", "do two things", {
      onLive: (m) => {
        if (m.type !== "run.approval" || m.status !== "pending") return;
        pending.push(m);
        if (pending.length < 2) return;
        // Both calls wait for a person now: what the cards show at that moment, then the answers.
        void (async () => {
          await caughtUp();
          seenWhilePending.push(s.q.toolCalls("cards-1"));
          const byCall = new Map(pending.map((p) => [p.callId, p.approvalId]));
          await answer(byCall.get("call_ok")!, "approve", { by: "test" });
          await answer(byCall.get("call_no")!, "deny", { by: "test", reason: "no deleting" });
        })();
      },
    });
    runId = r.runId;
    await caughtUp();
  });

  test("while approvals are pending, both rows are awaiting_approval with their approval ids and nothing has started", () => {
    expect(seenWhilePending).toHaveLength(1);
    const rows = seenWhilePending[0];
    expect(rows.map((r) => [r.callId, r.status])).toEqual([
      ["call_ok", "awaiting_approval"],
      ["call_no", "awaiting_approval"],
    ]);
    for (const r of rows) {
      expect(r.approvalId).toMatch(/^ap-/);
      expect(r).toMatchObject({ runId, startedAt: null, endedAt: null, output: null, durationMs: null });
    }
  });

  test("afterwards: the granted call finished with its output and duration, the denied one failed without starting; both keep their approval id", async () => {
    const { calls, checkpoint } = await listed({ sessionKey: "cards-1" });
    expect(checkpoint).toBeGreaterThan(0);
    expect(calls.map((c) => c.callId)).toEqual(["call_ok", "call_no"]);
    const [ok, no] = calls;
    const [pOk, pNo] = seenWhilePending[0];
    expect(ok).toMatchObject({
      runId,
      name: "exec",
      arguments: JSON.stringify({ command: "echo kept" }),
      status: "finished",
      output: "exit code 0\nstdout:\nkept",
      isError: false,
      truncated: false,
      fullOutput: null,
      approvalId: pOk.approvalId,
      // The first model call of the run (iterations count from 1).
      iteration: 1,
    });
    expect(ok.startedAt).toEqual(expect.any(Number));
    expect(ok.endedAt).toBeGreaterThanOrEqual(ok.startedAt!);
    expect(ok.durationMs).toEqual(expect.any(Number));
    expect(no).toMatchObject({
      runId,
      status: "failed",
      isError: true,
      startedAt: null,
      output: "denied by the user: no deleting; the command was not run",
      approvalId: pNo.approvalId,
      iteration: 1,
    });
    expect(no.endedAt).toEqual(expect.any(Number));
  });

  test("rows are per session, oldest first; limit keeps the most recent; bad params are refused", async () => {
    s.llm.script({ toolCalls: [exec("call_other", "echo elsewhere")] }, { chunks: ["x"] });
    await chatUntilEnded(s.nc, "cards-2", "other", {
      onLive: (m) => {
        if (m.type === "run.approval" && m.status === "pending") void answer(m.approvalId, "approve", { by: "test" });
      },
    });
    await caughtUp();
    expect((await listed({ sessionKey: "cards-1" })).calls.map((c) => c.callId)).toEqual(["call_ok", "call_no"]);
    expect((await listed({ sessionKey: "cards-2" })).calls.map((c) => [c.callId, c.status])).toEqual([["call_other", "finished"]]);
    expect((await listed({ sessionKey: "cards-1", limit: 1 })).calls.map((c) => c.callId)).toEqual(["call_no"]);
    expect((await listed({ sessionKey: "never-used" })).calls).toEqual([]);
    await expect(listed({ sessionKey: "a.b" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(listed({})).rejects.toMatchObject({ code: "bad_request" });
  });

  test("disposable: a rebuild from the log gives the same rows", async () => {
    const file = join(s.dir, "tools-rebuilt.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    try {
      const rebuilt = queries(() => db);
      expect(rebuilt.toolCalls("cards-1")).toEqual(s.q.toolCalls("cards-1"));
      expect(rebuilt.toolCalls("cards-2")).toEqual(s.q.toolCalls("cards-2"));
    } finally {
      db.close();
    }
  });
});
