/**
 * A person's control over a running agent, on real parts (NATS, the log, the projector, the
 * scripted LLM server, bubblewrap): stopping a run (the model is told next turn), "always allow",
 * the run timeout not counting the wait for an answer, and a run waiting for an approval that
 * survives a restart of the actor system.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../../bus/index.ts";
import type { AgentOptions } from "../../../actors/index.ts";
import { CANCELLED_NOTE } from "../../../actors/run/index.ts";
import { LiveSessionMessage, decodeLenient } from "../../../schemas/index.ts";
import { useAgentSystems } from "../../fixtures/agent-system.ts";
import { aggregateEvents, chatUntilEnded } from "../../fixtures/stack.ts";

const ctx = useAgentSystems("cairn-rc-");
const start = (agent: Partial<AgentOptions> = {}) => ctx.start({ workspaceRoot: ctx.root, exec: { sandbox: "bubblewrap" }, ...agent });
const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });
const events = (kind: "run" | "approval" | "settings", id: string) => aggregateEvents(ctx.s.log, kind, id);
const answer = (id: string, verb: "approve" | "deny", params: Record<string, unknown> = {}) =>
  request(ctx.s.nc, subjects.command("approval", id, verb), params) as Promise<{ status: string }>;
const cancel = (key: string, params: Record<string, unknown> = {}) =>
  request(ctx.s.nc, subjects.command("session", key, "cancel"), params) as Promise<{ runId: string | null; cancelled: boolean }>;

/** Resolves with the first live message of `key` that `pick` accepts. */
const nextLive = <T extends LiveSessionMessage>(key: string, pick: (m: LiveSessionMessage) => m is T): Promise<T> =>
  new Promise((resolve) => {
    const sub = ctx.s.nc.subscribe(subjects.liveSession(key), {
      callback: (_e, m) => {
        const msg = decodeLenient(LiveSessionMessage, m.json(), "live");
        if (pick(msg)) {
          sub.unsubscribe();
          resolve(msg);
        }
      },
    });
  });
type Approval = Extract<LiveSessionMessage, { type: "run.approval" }>;
const pendingApproval = (m: LiveSessionMessage): m is Approval => m.type === "run.approval" && m.status === "pending";

describe("stopping a run", () => {
  test("mid-stream: the run ends cancelled with its text kept, and the next turn tells the model", async () => {
    ctx.s.llm.reset();
    await start();
    ctx.s.llm.script({ hang: { chunkIntervalMs: 20, text: "la " } }, { chunks: ["fine"] });
    const firstDelta = nextLive("rc1", (m): m is LiveSessionMessage => m.type === "run.delta");
    const ran = chatUntilEnded(ctx.s.nc, "rc1", "sing forever");
    await firstDelta;
    expect(await cancel("rc1", { by: "test" })).toMatchObject({ cancelled: true });
    const { runId, live } = await ran;
    const ended = live.find((m) => m.type === "run.ended");
    expect(ended).toMatchObject({ status: "cancelled" });
    const evs = await events("run", runId);
    expect(evs.at(-1)).toMatchObject({ type: "run.cancelled", data: { by: "test" } });
    expect((evs.at(-1)!.data as { partialText: string }).partialText).toMatch(/^(la )+/);
    // Nothing is running any more: a second stop says so.
    expect(await cancel("rc1")).toMatchObject({ cancelled: false });

    await chatUntilEnded(ctx.s.nc, "rc1", "why did you stop?");
    const prompt = JSON.stringify(ctx.s.llm.requests.at(-1)!.body.messages);
    expect(prompt).toContain(CANCELLED_NOTE);
    expect(prompt).toContain("la ");
  });

  test("while an approval waits: the call never runs, the approval expires, the run ends cancelled", async () => {
    ctx.s.llm.reset();
    await start({ exec: { sandbox: "bubblewrap", approvalMode: "always" } });
    ctx.s.llm.script({ toolCalls: [exec("call_c", "touch never.txt")] });
    const asked = nextLive("rc2", pendingApproval);
    const ran = chatUntilEnded(ctx.s.nc, "rc2", "make a file");
    const a = await asked;
    await cancel("rc2", { runId: a.runId, by: "test" });
    const { runId } = await ran;
    expect(existsSync(join(ctx.root, "rc2", "never.txt"))).toBe(false);
    expect((await events("approval", a.approvalId)).map((e) => e.type)).toEqual(["approval.requested", "approval.expired"]);
    const types = (await events("run", runId)).map((e) => e.type);
    expect(types).toEqual(["run.started", "run.tool_call_requested", "run.cancelled"]);
    // Answering now changes nothing.
    expect(await answer(a.approvalId, "approve")).toMatchObject({ status: "expired" });
  });
});

describe("approvals and the run's clock", () => {
  test("always allow: the same command runs without asking in a later run, and the choice is an event", async () => {
    ctx.s.llm.reset();
    await start({ exec: { sandbox: "bubblewrap", approvalMode: "always" } });
    ctx.s.llm.script({ toolCalls: [exec("call_a1", "touch once.txt")] }, { chunks: ["made"] });
    await chatUntilEnded(ctx.s.nc, "rc3", "make it", {
      onLive: (m) => void (pendingApproval(m) && answer(m.approvalId, "approve", { by: "test", always: true })),
    });
    expect(existsSync(join(ctx.root, "rc3", "once.txt"))).toBe(true);
    expect((await events("settings", "global")).map((e) => e.data)).toContainEqual({ command: "touch once.txt", by: "test" });

    ctx.s.llm.script(
      { toolCalls: [exec("call_a2", "touch once.txt")] },
      { chunks: ["again"] },
      { toolCalls: [exec("call_a3", "touch other.txt")] },
      { chunks: ["no"] },
    );
    const again = await chatUntilEnded(ctx.s.nc, "rc3", "again");
    expect(again.live.some((m) => m.type === "run.approval")).toBe(false);
    // A different command still asks (denied here).
    const other = await chatUntilEnded(ctx.s.nc, "rc3", "another", {
      onLive: (m) => void (pendingApproval(m) && answer(m.approvalId, "deny")),
    });
    expect(other.live.filter((m) => m.type === "run.approval").map((m) => (m as Approval).status)).toEqual(["pending", "denied"]);
  });

  test("the run timeout does not count the time a person takes to answer", async () => {
    ctx.s.llm.reset();
    await start({ timeoutMs: 700, exec: { sandbox: "bubblewrap", approvalMode: "always" } });
    ctx.s.llm.script({ toolCalls: [exec("call_t", "touch slow.txt")] }, { chunks: ["done"] });
    const { runId, live } = await chatUntilEnded(ctx.s.nc, "rc4", "make it", {
      onLive: (m) => void (pendingApproval(m) && setTimeout(() => void answer(m.approvalId, "approve"), 1500)),
    });
    expect(live.find((m) => m.type === "run.ended")).toMatchObject({ status: "completed" });
    expect(existsSync(join(ctx.root, "rc4", "slow.txt"))).toBe(true);
    expect((await events("run", runId)).at(-1)!.type).toBe("run.completed");
  });
});

describe("live output", () => {
  test("a running command's output reaches the live stream before the call finishes", async () => {
    ctx.s.llm.reset();
    await start({ exec: { sandbox: "bubblewrap", approvalMode: "never" } });
    ctx.s.llm.script({ toolCalls: [exec("call_o", "echo first; sleep 0.5; echo second")] }, { chunks: ["ok"] });
    const { live } = await chatUntilEnded(ctx.s.nc, "rc6", "run it");
    const order = live.flatMap((m) =>
      m.type === "run.tool_output" ? [`out:${m.text.trim()}`] : m.type === "run.tool" && m.status === "finished" ? ["finished"] : [],
    );
    expect(order).toEqual(["out:first", "out:second", "finished"]);
  });
});

describe("a pending approval across a restart", () => {
  test("the run waiting for it is picked up again: approving after the restart runs the command and the run completes", async () => {
    ctx.s.llm.reset();
    await start({ exec: { sandbox: "bubblewrap", approvalMode: "always" } });
    ctx.s.llm.script({ toolCalls: [exec("call_r", "echo survived > kept.txt")] }, { chunks: ["all done"] });
    const asked = nextLive("rc5", pendingApproval);
    void chatUntilEnded(ctx.s.nc, "rc5", "write it").catch(() => undefined);
    const a = await asked;
    await ctx.sys!.stop(); // the gateway goes down while the approval waits
    ctx.sys = undefined;

    const again = await start({ exec: { sandbox: "bubblewrap", approvalMode: "always" } });
    const ended = nextLive("rc5", (m): m is LiveSessionMessage => m.type === "run.ended");
    expect(await again.recover(["rc5"])).toBe(1);
    expect(await answer(a.approvalId, "approve", { by: "after-restart" })).toMatchObject({ status: "granted" });
    expect(await ended).toMatchObject({ status: "completed", runId: a.runId });
    expect(existsSync(join(ctx.root, "rc5", "kept.txt"))).toBe(true);
    const types = (await events("run", a.runId)).map((e) => e.type);
    expect(types).toEqual(["run.started", "run.tool_call_requested", "run.tool_started", "run.tool_finished", "run.completed"]);
    // The model got the command's result after the restart, answering the call it made before it.
    const turn = JSON.stringify(ctx.s.llm.requests.at(-1)!.body.messages);
    expect(turn).toContain("call_r");
    expect(turn).toContain("exit code 0");
  });
});
