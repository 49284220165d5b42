/**
 * Approvals of the `exec` tool on real parts (NATS, the log, the projector, the scripted LLM
 * server, real bubblewrap): the policy, the approval aggregate's story in the log, answers over
 * `cmd.approval.<id>.*`, expiry, first answer wins, and what the model gets back.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import type { ActorSystemOptions } from "../../actors/index.ts";
import type { LiveSessionMessage, AnyStoredEvent } from "../../schemas/index.ts";
import { aggregateEvents, chatUntilEnded } from "../fixtures/stack.ts";
import { useAgentSystems } from "../fixtures/agent-system.ts";

const ctx = useAgentSystems("cairn-ap-");
const start = (exec: NonNullable<ActorSystemOptions["agent"]>["exec"]) => ctx.start({ workspaceRoot: ctx.root, exec });

type Approval = Extract<LiveSessionMessage, { type: "run.approval" }>;

/** Sends a message; `onPending` answers approvals as they appear; resolves when the run ended. */
const chat = (key: string, text: string, onPending?: (a: Approval) => Promise<void> | void) =>
  chatUntilEnded(ctx.s.nc, key, text, {
    onLive: (m) => {
      if (m.type === "run.approval" && m.status === "pending" && onPending) void onPending(m);
    },
  });
const events = (kind: "run" | "approval", id: string) => aggregateEvents(ctx.s.log, kind, id);
const finished = (evs: AnyStoredEvent[], callId: string) =>
  evs.find((e) => e.type === "run.tool_finished" && e.data.callId === callId)?.data as { output: string; isError: boolean } | undefined;
const answer = (id: string, verb: "approve" | "deny", params: Record<string, unknown> = {}) =>
  request(ctx.s.nc, subjects.command("approval", id, verb), params) as Promise<{ status: string }>;
const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

describe("exec approvals", () => {
  test("smart: ls runs directly under bubblewrap, no approval; exec is offered only with the exec option", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap" });
    ctx.s.llm.script({ toolCalls: [exec("call_ls", "ls -a")] }, { chunks: ["listed"] });
    const { runId, live } = await chat("ap1", "list");
    const evs = await events("run", runId);
    expect(evs.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.tool_started",
      "run.tool_finished",
      "run.completed",
    ]);
    expect(finished(evs, "call_ls")).toMatchObject({ isError: false });
    expect(finished(evs, "call_ls")!.output).toMatch(/^exit code 0\nstdout:\n\.\n\.\./);
    expect(live.some((m) => m.type === "run.approval")).toBe(false);
    expect((ctx.s.llm.requests[0].tools ?? []).map((t: any) => t.function?.name)).toContain("exec");

    await start(undefined);
    ctx.s.llm.reset();
    ctx.s.llm.script({ chunks: ["no tools"] });
    await chat("ap1", "again");
    expect((ctx.s.llm.requests[0].tools ?? []).map((t: any) => t.function?.name)).not.toContain("exec");
  });

  test("touch asks; approved over cmd.approval.<id>.approve it runs and the file is in the workspace; the story is in the log and q.approvals.list", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap" });
    ctx.s.llm.script({ toolCalls: [exec("call_t", "touch made.txt")] }, { chunks: ["done"] });
    let pending: Approval | undefined;
    const { runId, live } = await chat("ap2", "make a file", async (a) => {
      pending = a;
      // The request is durable before anyone is asked.
      expect((await events("approval", a.approvalId)).map((e) => e.type)).toEqual(["approval.requested"]);
      expect(await answer(a.approvalId, "approve", { by: "test" })).toMatchObject({ status: "granted" });
    });
    expect(existsSync(join(ctx.root, "ap2", "made.txt"))).toBe(true);
    expect(pending).toMatchObject({ command: "touch made.txt", callId: "call_t", runId });
    const ap = await events("approval", pending!.approvalId);
    expect(ap.map((e) => e.type)).toEqual(["approval.requested", "approval.granted"]);
    expect(ap[0].data).toMatchObject({ runId, sessionKey: "ap2", callId: "call_t", tool: "exec", command: "touch made.txt" });
    expect(live.flatMap((m) => (m.type === "run.approval" ? [m.status] : []))).toEqual(["pending", "granted"]);
    const evs = await events("run", runId);
    expect(evs.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.tool_started",
      "run.tool_finished",
      "run.completed",
    ]);

    // First answer wins: a later deny changes nothing and replies the decided state.
    expect(await answer(pending!.approvalId, "deny", { reason: "too late" })).toMatchObject({ status: "granted" });
    expect((await events("approval", pending!.approvalId)).map((e) => e.type)).toEqual(["approval.requested", "approval.granted"]);

    const { seq } = await ctx.s.log.lastSeqOf("approval", pending!.approvalId).then((seq) => ({ seq }));
    await ctx.s.projector.waitFor(seq);
    const listed = (await request(ctx.s.nc, subjects.query("approvals", "list"), {})) as { approvals: any[] };
    expect(listed.approvals.find((a) => a.id === pending!.approvalId)).toMatchObject({
      status: "granted",
      decidedBy: "test",
      sessionKey: "ap2",
      runId,
      tool: "exec",
      command: "touch made.txt",
    });
    const pendingOnly = (await request(ctx.s.nc, subjects.query("approvals", "list"), { status: "pending" })) as { approvals: any[] };
    expect(pendingOnly.approvals.find((a) => a.id === pending!.approvalId)).toBeUndefined();
  });

  test("deny with a reason: the model gets the denial as the tool result, nothing ran, the run completes", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap" });
    ctx.s.llm.script({ toolCalls: [exec("call_d", "touch nope.txt")] }, { chunks: ["ok, I will not"] });
    const { runId } = await chat("ap3", "make a file", (a) => void answer(a.approvalId, "deny", { reason: "not today" }));
    expect(existsSync(join(ctx.root, "ap3", "nope.txt"))).toBe(false);
    const evs = await events("run", runId);
    // Never started: requested → finished with the refusal.
    expect(evs.map((e) => e.type)).toEqual(["run.started", "run.tool_call_requested", "run.tool_finished", "run.completed"]);
    expect(finished(evs, "call_d")).toMatchObject({ isError: true, output: "denied by the user: not today; the command was not run" });
    const result = (ctx.s.llm.requests[1].toolMessages as any[]).find((m) => m.role === "tool");
    expect(JSON.stringify(result.content)).toContain("denied by the user: not today");
  });

  test("nobody answers: the approval expires at its deadline and the model is told", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap", approvalTimeoutMs: 300 });
    ctx.s.llm.script({ toolCalls: [exec("call_e", "touch late.txt")] }, { chunks: ["it expired"] });
    let id = "";
    const { runId, live } = await chat("ap4", "make a file", (a) => {
      id = a.approvalId;
    });
    expect(existsSync(join(ctx.root, "ap4", "late.txt"))).toBe(false);
    expect((await events("approval", id)).map((e) => e.type)).toEqual(["approval.requested", "approval.expired"]);
    expect(finished(await events("run", runId), "call_e")!.output).toMatch(/^the approval expired/);
    expect(live.flatMap((m) => (m.type === "run.approval" ? [m.status] : []))).toEqual(["pending", "expired"]);
    // An answer after expiry is a no-op.
    expect(await answer(id, "approve")).toMatchObject({ status: "expired" });
  });

  test("always asks even for ls; never runs touch directly and says approvals are off", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap", approvalMode: "always" });
    ctx.s.llm.script({ toolCalls: [exec("call_a", "ls")] }, { chunks: ["ok"] });
    let asked = 0;
    const { runId } = await chat("ap5", "list", (a) => {
      asked++;
      void answer(a.approvalId, "approve", { always: true });
    });
    expect(asked).toBe(1);
    expect(finished(await events("run", runId), "call_a")).toMatchObject({ isError: false });

    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap", approvalMode: "never" });
    ctx.s.llm.script({ toolCalls: [exec("call_n", "touch free.txt")] }, { chunks: ["ok"] });
    const r = await chat("ap5", "touch", () => {
      asked += 100;
    });
    expect(asked).toBe(1);
    expect(existsSync(join(ctx.root, "ap5", "free.txt"))).toBe(true);
    expect(finished(await events("run", r.runId), "call_n")!.output).toMatch(/approvals are off/);
  });

  test("the allowlist lets a pattern through in smart mode", async () => {
    ctx.s.llm.reset();
    await start({ sandbox: "bubblewrap", allowlist: ["touch *.txt"] });
    ctx.s.llm.script({ toolCalls: [exec("call_l", "touch ok.txt")] }, { chunks: ["ok"] });
    let asked = 0;
    await chat("ap6", "touch", () => void asked++);
    expect(asked).toBe(0);
    expect(existsSync(join(ctx.root, "ap6", "ok.txt"))).toBe(true);
  });
});
