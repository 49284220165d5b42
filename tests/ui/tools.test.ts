/**
 * Tool cards as the UI merges them from live messages and `chat.tools` rows: they go where the
 * gateway says the model made the call (`textOffset`), show the complete output the tool kept
 * (`fullOutput`) and who answered an approval (`decidedBy`) as soon as a live message says so.
 */
import { describe, expect, test } from "vitest";
import {
  approvalFromLive,
  approvalFromSummary,
  approverName,
  cardFromLive,
  cardFromRow,
  cardKey,
  interleave,
  outcomeOf,
} from "../../ui/src/lib/tools.ts";
import type { ApprovalSummary, LiveApproval, LiveToolCall, ToolCallRow } from "../../ui/src/lib/wire.ts";

const live = (m: Partial<LiveToolCall> & Pick<LiveToolCall, "status">): LiveToolCall => ({
  type: "run.tool",
  runId: "r1",
  callId: "c1",
  name: "exec",
  ...m,
});

const row = (r: Partial<ToolCallRow> = {}): ToolCallRow => ({
  runId: "r1",
  callId: "c1",
  name: "exec",
  arguments: '{"command":"ls"}',
  status: "finished",
  requestedAt: 1,
  startedAt: 2,
  endedAt: 3,
  durationMs: 1,
  output: "a\nb",
  truncated: false,
  isError: false,
  fullOutput: null,
  approvalId: null,
  iteration: 0,
  ...r,
});

describe("where a card goes", () => {
  test("a requested call goes at the gateway's textOffset, not at the text the page has so far", () => {
    // The page may be ahead of (or behind) the point where the model called the tool.
    const card = cardFromLive(live({ status: "requested", arguments: "{}", textOffset: 12 }), undefined, 0, 40, 1000);
    expect(card.anchor).toBe(12);
    const parts = interleave("Let me look.And here it is.", [card]);
    expect(parts.map((p) => (p.kind === "text" ? p.text : p.cards.map((c) => c.callId)))).toEqual([
      "Let me look.",
      ["c1"],
      "And here it is.",
    ]);
  });

  test("a card first seen without an offset stands at the page's text length until the gateway's offset comes", () => {
    const seen = cardFromLive(live({ status: "started" }), undefined, 0, 40, 1000);
    expect(seen.anchor).toBe(40);
    // The requested message of a resumed stream, or the row, then moves it where it belongs.
    expect(cardFromLive(live({ status: "requested", textOffset: 7 }), seen, 1, 40, 1001).anchor).toBe(7);
    expect(cardFromRow(row({ status: "requested", textOffset: 5 }), seen, 1).anchor).toBe(5);
  });

  test("the row's offset wins over a live guess even when the live side is further along", () => {
    const running = cardFromLive(live({ status: "started" }), undefined, 0, 40, 1000);
    const merged = cardFromRow(row({ status: "requested", textOffset: 9, output: null, endedAt: null, durationMs: null }), running, 1);
    expect(merged).toMatchObject({ status: "started", anchor: 9 });
  });

  test("a row without an offset keeps the card's place, or has none (cards without one go first)", () => {
    const placed = cardFromLive(live({ status: "requested", textOffset: 3 }), undefined, 0, 40, 1000);
    expect(cardFromRow(row(), placed, 1).anchor).toBe(3);
    expect(cardFromRow(row({ textOffset: null }), undefined, 0).anchor).toBeNull();
    expect(cardFromRow(row(), undefined, 0).anchor).toBeNull();
  });
});

describe("the complete output", () => {
  test("a finished live message names the file the tool kept, before the rows catch up", () => {
    const started = cardFromLive(live({ status: "started" }), undefined, 0, 0, 1000);
    expect(started.fullOutput).toBeNull();
    const done = cardFromLive(
      live({ status: "finished", output: "1\n2", truncated: true, durationMs: 5, fullOutput: ".cairn/outputs/c1.txt" }),
      started,
      0,
      0,
      1005,
    );
    expect(done).toMatchObject({ status: "finished", truncated: true, fullOutput: ".cairn/outputs/c1.txt", output: "1\n2" });
    // A row that does not know the file yet does not take it away.
    expect(cardFromRow(row({ status: "started", output: null, fullOutput: null }), done, 1).fullOutput).toBe(".cairn/outputs/c1.txt");
  });
});

describe("who answered an approval", () => {
  const pending: LiveApproval = {
    type: "run.approval",
    runId: "r1",
    callId: "c1",
    approvalId: "ap-0123456789abcdef",
    status: "pending",
    command: "ls",
    expiresAt: 5000,
    reason: "not on the safe list",
  };

  test("the live answer carries decidedBy, so the card says who answered at once", () => {
    const asked = approvalFromLive(pending, undefined);
    expect(asked.decidedBy).toBeNull();
    const granted = approvalFromLive({ ...pending, status: "granted", decidedBy: "cli" }, asked);
    expect(granted).toMatchObject({ status: "granted", decidedBy: "cli", reason: "not on the safe list" });
    // A replayed pending message never takes the answer back.
    expect(approvalFromLive(pending, granted)).toBe(granted);
  });

  test("a denial keeps the person's reason and who denied", () => {
    const denied = approvalFromLive(
      { ...pending, status: "denied", decidedBy: "web", reason: "not now" },
      approvalFromLive(pending, undefined),
    );
    expect(denied).toMatchObject({ status: "denied", decidedBy: "web", denyReason: "not now", reason: "not on the safe list" });
  });

  test("the list's row fills in what the live message did not say", () => {
    const granted = approvalFromLive({ ...pending, status: "granted", decidedBy: "web" }, undefined);
    const summary: ApprovalSummary = {
      id: pending.approvalId,
      sessionKey: "s1",
      runId: "r1",
      callId: "c1",
      tool: "exec",
      command: "ls",
      reason: "not on the safe list",
      status: "granted",
      requestedAt: 1,
      expiresAt: 5000,
      decidedAt: 2,
      decidedBy: "web",
      always: true,
      denyReason: null,
    };
    expect(approvalFromSummary(summary, granted)).toMatchObject({ status: "granted", decidedBy: "web", always: true });
  });
});

describe("a card's identity", () => {
  test("the same call id in two runs is two cards (providers that send call_1 every time)", () => {
    const a = cardFromRow(row({ runId: "r1", callId: "call_1" }), undefined, 0);
    const b = cardFromLive(live({ runId: "r2", callId: "call_1", status: "requested" }), undefined, 1, 0, 1000);
    expect(a.key).not.toBe(b.key);
    expect(b.key).toBe(cardKey("r2", "call_1"));
  });
});

describe("statuses that tell the truth", () => {
  const approval = (status: "granted" | "denied" | "expired", decidedBy: string | null = null) => ({
    approvalId: "a1",
    runId: "r1",
    callId: "c1",
    status,
    command: "rm x",
    reason: null,
    expiresAt: null,
    decidedBy,
    denyReason: null,
    always: false,
  });
  test("a non-zero exit code is not a success; exit 0 is", () => {
    expect(outcomeOf(cardFromRow(row({ output: "exit code 2\nstderr:\nnope" }), undefined, 0), undefined)).toEqual({
      kind: "exit",
      code: 2,
    });
    expect(outcomeOf(cardFromRow(row({ output: "exit code 0\nstdout:\nok" }), undefined, 0), undefined)).toBeNull();
    const quota = "disk_quota_exceeded: the command was stopped\nexit code 1\n(no output)";
    expect(outcomeOf(cardFromRow(row({ output: quota }), undefined, 0), undefined)).toEqual({ kind: "exit", code: 1 });
    expect(outcomeOf(cardFromRow(row({ output: "timed out after 5 s (killed)\n(no output)" }), undefined, 0), undefined)).toEqual({
      kind: "killed",
      why: "timed out",
    });
  });
  test("a denied call is denied (by whom), an expired one expired — not failed", () => {
    const refused = cardFromRow(
      row({ status: "failed", isError: true, output: "denied by the user; the command was not run" }),
      undefined,
      0,
    );
    expect(outcomeOf(refused, approval("denied", "key:phone"))).toEqual({ kind: "denied", by: "key:phone" });
    expect(outcomeOf(refused, approval("expired"))).toEqual({ kind: "expired" });
    // Another tool's text that happens to read like exec's is not judged.
    expect(outcomeOf(cardFromRow(row({ name: "read_file", output: "exit code 3" }), undefined, 0), undefined)).toBeNull();
    // A call still running has no outcome yet.
    expect(outcomeOf(cardFromRow(row({ status: "started", output: null }), undefined, 0), approval("granted"))).toBeNull();
  });
  test("the approver as a person reads it", () => {
    expect(approverName("web")).toBe("you (on this machine)");
    expect(approverName("key:phone")).toBe("API key “phone”");
    expect(approverName("session:abc")).toBe("you (signed in)");
    expect(approverName("cli")).toBe("you (cairn CLI)");
    expect(approverName("telegram:42")).toBe("telegram:42");
  });
});
