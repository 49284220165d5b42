/** The approval aggregate's decisions (pure) and the exec policy. */
import { initialTransition } from "xstate";
import { describe, expect, test } from "vitest";
import { approvalSpec } from "../../../actors/approval/index.ts";
import { fold } from "../../../actors/runtime/persistence.ts";

const ID = "ap-1";
const request = { runId: "r1", sessionKey: "s1", callId: "c1", tool: "exec", command: "touch x", reason: "not safe", expiresAt: 10_000 };
const env = (now: number) => ({ now, newId: () => "x" });

/** Decides each command in turn against the folded state, as the host does. */
const play = (cmds: Array<{ verb: string; params: unknown; now?: number }>) => {
  let snap = initialTransition(approvalSpec.machine, { id: ID })[0] as any;
  const replies: any[] = [];
  const written: string[] = [];
  const actions: string[] = [];
  for (const [i, c] of cmds.entries()) {
    const d = approvalSpec.decide(snap, approvalSpec.decodeCommand(c.verb, c.params), env(c.now ?? 1000));
    replies.push(d.reply);
    written.push(...d.events.map((e) => e.type));
    const r = fold(
      approvalSpec.machine,
      snap,
      d.events.map((e, j) => ({ type: e.type, data: e.data, seq: i * 10 + j + 1, time: c.now ?? 1000 })) as never,
    );
    snap = r.snapshot;
    actions.push(...r.actions.map((a: any) => `${a.type}:${a.params.status}`));
  }
  return { snap, replies, written, actions };
};

describe("the approval machine", () => {
  test("pending → granted; the first answer wins (a later deny is a no-op replying granted)", () => {
    const r = play([
      { verb: "request", params: request },
      { verb: "approve", params: { by: "cli" } },
      { verb: "deny", params: { reason: "no" } },
    ]);
    expect(r.written).toEqual(["approval.requested", "approval.granted"]);
    expect(r.replies[2]).toMatchObject({ status: "granted", decidedBy: "cli" });
    expect(r.snap.value).toBe("granted");
    expect(r.actions).toEqual(["decided:granted"]);
  });

  test("deny with a reason; a later approve changes nothing", () => {
    const r = play([
      { verb: "request", params: request },
      { verb: "deny", params: { reason: "too risky" } },
      { verb: "approve", params: {} },
    ]);
    expect(r.written).toEqual(["approval.requested", "approval.denied"]);
    expect(r.replies[2]).toMatchObject({ status: "denied", reason: "too risky" });
  });

  test("an answer after the deadline expires it; expire is idempotent", () => {
    const r = play([
      { verb: "request", params: request },
      { verb: "approve", params: {}, now: 10_000 },
      { verb: "expire", params: {} },
    ]);
    expect(r.written).toEqual(["approval.requested", "approval.expired"]);
    expect(r.replies[1]).toMatchObject({ status: "expired" });
    expect(r.snap.value).toBe("expired");
  });

  test("a repeated request writes nothing; answering an unknown approval is approval_not_found", () => {
    const r = play([
      { verb: "request", params: request },
      { verb: "request", params: { ...request, command: "rm -rf /" } },
    ]);
    expect(r.written).toEqual(["approval.requested"]);
    expect(r.replies[1]).toMatchObject({ status: "pending", command: "touch x" });
    expect(() => play([{ verb: "approve", params: {} }])).toThrow(/no approval/);
  });

  test("the decision event id is shared by every answer, so two writers cannot both decide", () => {
    const snap = play([{ verb: "request", params: request }]).snap;
    const a = approvalSpec.decide(snap, approvalSpec.decodeCommand("approve", {}), env(1));
    const d = approvalSpec.decide(snap, approvalSpec.decodeCommand("deny", {}), env(1));
    expect(a.eventIds).toEqual(d.eventIds);
  });
});
