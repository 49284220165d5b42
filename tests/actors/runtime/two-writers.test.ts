/**
 * The races found by probing two gateways on one NATS, as regression tests against a real
 * nats-server: two hosts (two processes' worth of writers) decide the same command at once. The
 * log must hold one decision, and exactly one host may run its effects.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AnyStateMachine } from "xstate";
import type { EventLog, SnapshotStore } from "../../../bus/index.ts";
import { AggregateHost, declaredEffects, type AggregateSpec } from "../../../actors/runtime/index.ts";
import { runSpec } from "../../../actors/run/index.ts";
import { approvalSpec } from "../../../actors/approval/index.ts";
import { createSessionSpec } from "../../../actors/session/index.ts";
import { startEventStore, type EventStore } from "../../fixtures/event.store.ts";

let store: EventStore;
let log: EventLog;
let snapshots: SnapshotStore;
beforeAll(async () => {
  store = await startEventStore();
  ({ log, snapshots } = store);
});
afterAll(() => store.stop());

let n = 0;
/** A host whose effects only record their names. */
function host<M extends AnyStateMachine, C>(spec: AggregateSpec<M, C>) {
  const ran: string[] = [];
  const h = new AggregateHost(spec, { log, snapshots, now: () => 1_000, newId: () => `w${++n}`, report: () => {} });
  h.setEffects(
    Object.fromEntries(declaredEffects(spec.machine).map((name) => [name, async () => void ran.push(name)])) as never,
    async () => {},
  );
  return { h, ran, cmd: (verb: string, params: unknown) => spec.decodeCommand(verb, params) };
}

const typesOf = async (kind: "run" | "approval" | "session", id: string) =>
  (await log.load(kind, id)).records.map((r) => (r.ok ? r.event.type : `bad:${r.bad.type}`));

describe("two writers on one aggregate (two gateways' hosts on one NATS)", () => {
  test("the same start_tool from both: one starts it, the other answers 'not started'; one tool_started in the log", async () => {
    const a = host(runSpec);
    const b = host(runSpec);
    await a.h.execute("r1", a.cmd("start", { sessionKey: "s1", model: "openai/x", triggerMessageId: "m1" }));
    await a.h.execute("r1", a.cmd("request_tools", { iteration: 1, calls: [{ callId: "c1", name: "exec", arguments: "{}" }] }));
    await b.h.read("r1"); // both hold the run as of now
    const replies = await Promise.all([
      a.h.execute("r1", a.cmd("start_tool", { callId: "c1" })),
      b.h.execute("r1", b.cmd("start_tool", { callId: "c1" })),
    ]);
    expect(replies.map((r) => (r as { started: boolean }).started).sort()).toEqual([false, true]);
    expect((await typesOf("run", "r1")).filter((t) => t === "run.tool_started")).toHaveLength(1);
  });

  test("the same start_tool, the second writer holding a stale state: its duplicate ack is a conflict, then 'not started'", async () => {
    const a = host(runSpec);
    const b = host(runSpec);
    await a.h.execute("r2", a.cmd("start", { sessionKey: "s2", model: "openai/x", triggerMessageId: "m1" }));
    await a.h.execute("r2", a.cmd("request_tools", { iteration: 1, calls: [{ callId: "c1", name: "exec", arguments: "{}" }] }));
    await b.h.read("r2");
    expect(await a.h.execute("r2", a.cmd("start_tool", { callId: "c1" }))).toEqual({ started: true });
    // b decides on its stale copy and mints the same deterministic event id: the server acks it as
    // a duplicate, which is no success for b.
    expect(await b.h.execute("r2", b.cmd("start_tool", { callId: "c1" }))).toEqual({ started: false });
    expect((await typesOf("run", "r2")).filter((t) => t === "run.tool_started")).toHaveLength(1);
  });

  test("the same approval answered on both: one decision in the log, both replies say the same", async () => {
    const a = host(approvalSpec);
    const b = host(approvalSpec);
    await a.h.execute(
      "ap1",
      a.cmd("request", {
        runId: "r3",
        sessionKey: "s3",
        callId: "c1",
        tool: "exec",
        command: "rm -rf x",
        reason: "asks",
        expiresAt: 10_000,
      }),
    );
    await b.h.read("ap1");
    const [x, y] = await Promise.allSettled([
      a.h.execute("ap1", a.cmd("approve", { by: "phone" })),
      b.h.execute("ap1", b.cmd("deny", { by: "laptop" })),
    ]);
    const decisions = (await typesOf("approval", "ap1")).filter((t) => t !== "approval.requested");
    expect(decisions).toHaveLength(1);
    const final = decisions[0] === "approval.granted" ? "granted" : "denied";
    for (const r of [x, y]) {
      // The loser is told the approval's real state (or that it was already decided), never its own wish.
      if (r.status === "fulfilled") expect((r.value as { status: string }).status).toBe(final);
      else expect(r.reason.code).toMatch(/conflict|approval_/);
    }
    expect(a.ran.length + b.ran.length).toBe(1);
  });

  test("the same message sent through both: one user message, one startRun effect", async () => {
    const spec = createSessionSpec(() => "openai/x");
    const a = host(spec);
    const b = host(spec);
    await a.h.execute("s4", a.cmd("create", {}));
    await b.h.read("s4");
    const send = { text: "hi", messageId: "m-1" };
    await Promise.allSettled([a.h.execute("s4", a.cmd("send", send)), b.h.execute("s4", b.cmd("send", send))]);
    await Promise.all([a.h.drain(), b.h.drain()]);
    const types = await typesOf("session", "s4");
    expect(types.filter((t) => t === "session.user_message")).toHaveLength(1);
    expect([...a.ran, ...b.ran].filter((e) => e === "startRun")).toHaveLength(1);
  });
});
