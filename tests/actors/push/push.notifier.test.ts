/**
 * Which facts become a push, and when the notifier stays quiet: the pure part of Web Push (the
 * wire part, VAPID and encryption, is tests/e2e/push.test.ts against a local push service).
 */
import { describe, expect, test } from "vitest";
import { PushNotifier, pushMessageOf, type PushOutcome } from "../../../actors/push/index.ts";
import type { NewEvent, PushDevice, PushMessage } from "../../../schemas/index.ts";

const approval = {
  type: "approval.requested",
  data: { runId: "r1", sessionKey: "s-1", callId: "c1", tool: "exec", command: `rm -rf ${"x".repeat(300)}`, reason: "r", expiresAt: 1 },
} as NewEvent;
const completed = { type: "run.completed", data: { text: "  The\\nanswer  is 42.  ", usage: null, finishReason: "stop" } } as NewEvent;

describe("pushMessageOf", () => {
  test("an approval waiting: the command, cut to fit a lock screen, and the chat to open", () => {
    const m = pushMessageOf("approval", "a1", approval, {});
    expect(m).toMatchObject({ title: "Approval needed", tag: "approval-a1", url: "#/s/s-1" });
    expect(m?.body.startsWith("exec: rm -rf xxx")).toBe(true);
    expect(m?.body.length).toBe(140);
    expect(m?.body.endsWith("…")).toBe(true);
  });

  test("a finished reply of the owner's run; a channel sender's run and other facts push nothing", () => {
    expect(pushMessageOf("run", "r1", completed, { sessionKey: "s-1" })).toEqual({
      title: "Reply finished",
      body: "The\\nanswer is 42.",
      tag: "reply-s-1",
      url: "#/s/s-1",
    });
    expect(pushMessageOf("run", "r1", completed, { sessionKey: "s-1", access: "full" })).toBeNull();
    expect(pushMessageOf("run", "r1", { type: "run.failed", data: {} } as NewEvent, { sessionKey: "s-1" })).toBeNull();
  });
});

const device = (id: string): PushDevice => ({
  device: id,
  label: id,
  subscription: { endpoint: `https://push.example/${id}`, keys: { p256dh: "A".repeat(87), auth: "B".repeat(22) } },
});

const notifier = (o: { visible?: boolean; outcome?: PushOutcome } = {}) => {
  const sent: [string, PushMessage][] = [];
  const forgotten: string[] = [];
  const reports: string[] = [];
  const n = new PushNotifier({
    devices: async () => [device("phone"), device("laptop")],
    tabsVisible: async () => o.visible ?? false,
    send: async (sub, m) => {
      sent.push([sub.endpoint, m]);
      return o.outcome ?? "sent";
    },
    forget: async (d) => void forgotten.push(d),
    report: (l) => reports.push(l),
  });
  return { n, sent, forgotten, reports };
};

describe("PushNotifier", () => {
  test("sends each fact to every device when no tab is visible", async () => {
    const { n, sent } = notifier();
    n.observe("run", "r1", [completed], { sessionKey: "s-1" });
    await n.idle();
    expect(sent.map(([e]) => e)).toEqual(["https://push.example/phone", "https://push.example/laptop"]);
  });

  test("stays quiet while a tab is visible", async () => {
    const { n, sent } = notifier({ visible: true });
    n.observe("approval", "a1", [approval], {});
    await n.idle();
    expect(sent).toEqual([]);
  });

  test("forgets a device whose subscription is gone; reports a failed delivery without retrying", async () => {
    const gone = notifier({ outcome: "gone" });
    gone.n.observe("run", "r1", [completed], { sessionKey: "s-1" });
    await gone.n.idle();
    expect(gone.forgotten).toEqual(["phone", "laptop"]);
    const failed = notifier({ outcome: "failed" });
    failed.n.observe("run", "r1", [completed], { sessionKey: "s-1" });
    await failed.n.idle();
    expect(failed.sent).toHaveLength(2);
    expect(failed.reports).toEqual(["push to phone failed", "push to laptop failed"]);
  });
});
