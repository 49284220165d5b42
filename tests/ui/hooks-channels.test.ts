/**
 * Settings → Hooks and Settings → Channels, the pure parts: how a hook's state reads (an open
 * breaker first and loudest, with the time to its retry), its last run in words, the order the page
 * lists hooks in, and how a channel's loop and its senders are shown.
 */
import { describe, expect, test } from "vitest";
import { channelState, groupSenders } from "../../ui/src/lib/channels.ts";
import { byUrgency, hookState, lastRunText } from "../../ui/src/lib/hooks.ts";
import type { ChannelSender, ChannelStatus, HookView } from "../../ui/src/lib/wire.ts";

const NOW = 1_000_000;
const hook = (h: Partial<HookView> = {}): HookView => ({
  name: "h",
  description: "",
  source: "user",
  path: "/x/HOOK.md",
  events: ["MessageReceived"],
  command: "true",
  timeoutMs: 5000,
  priority: 0,
  enabled: true,
  eligible: true,
  reasons: [],
  ...h,
});
const open = { state: "open" as const, failures: 5, retryAt: NOW + 42_000, lastError: "exited with 3" };

describe("hooks page", () => {
  test("an open breaker is the loudest state and says when the hook is tried again", () => {
    expect(hookState(hook({ breaker: open }), NOW)).toEqual({ tone: "bad", text: "breaker open: retried in 42 s" });
    expect(hookState(hook({ breaker: { ...open, state: "half-open" } }), NOW).tone).toBe("warn");
    expect(hookState(hook({ breaker: { ...open, state: "closed", retryAt: null } }), NOW)).toEqual({ tone: "ok", text: "active" });
    expect(hookState(hook({ enabled: false, eligible: false, reasons: ["disabled"] }), NOW).text).toBe("disabled");
    expect(hookState(hook({ eligible: false, reasons: ["needs 'jq' on PATH"] }), NOW).text).toBe("not eligible");
  });

  test("the last run in words; none before the gateway ran it", () => {
    expect(lastRunText(hook(), NOW)).toBeNull();
    const ran = hook({ lastRun: { at: NOW - 5_000, event: "BeforeToolCall", outcome: "block", durationMs: 12.4, detail: "no" } });
    expect(lastRunText(ran, NOW)).toBe("BeforeToolCall → block in 12 ms, just now");
    const skipped = hook({ lastRun: { at: NOW - 120_000, event: "AgentEnd", outcome: "skipped", durationMs: 0, detail: null } });
    expect(lastRunText(skipped, NOW)).toBe("AgentEnd → skipped (breaker open), 2 min ago");
  });

  test("hooks that need a look come first; otherwise the gateway's (priority) order stays", () => {
    const list = [
      hook({ name: "a", priority: 9 }),
      hook({ name: "off", enabled: false, eligible: false, reasons: ["disabled"] }),
      hook({ name: "b" }),
      hook({ name: "broken", breaker: open }),
    ];
    expect(byUrgency(list, NOW).map((h) => h.name)).toEqual(["broken", "a", "b", "off"]);
  });
});

const channel = (c: Partial<ChannelStatus> = {}): ChannelStatus => ({
  channel: "telegram",
  enabled: true,
  problem: null,
  state: "polling",
  lastError: null,
  failures: 0,
  since: NOW,
  mode: "polling",
  bot: { id: 1, username: "b", name: "B" },
  access: "execute",
  ...c,
});
const sender = (userId: string, status: ChannelSender["status"]): ChannelSender => ({
  channel: "telegram",
  userId,
  name: "",
  chatId: userId,
  status,
  firstSeen: NOW,
  decidedAt: null,
  decidedBy: null,
  messages: 0,
  lastAt: null,
  access: null,
});

describe("channels page", () => {
  test("a channel's loop in words", () => {
    expect(channelState(channel())).toEqual({ tone: "ok", text: "connected" });
    expect(channelState(channel({ enabled: false })).text).toBe("off");
    expect(channelState(channel({ problem: "no bot token" })).tone).toBe("bad");
    expect(channelState(channel({ state: "backing_off", failures: 3 })).text).toBe("reconnecting (3 failures)");
    expect(channelState(channel({ state: "standby", bot: null })).text).toBe("connecting…");
  });

  test("senders split into the pending queue, the approved and the turned away, keeping the query's order", () => {
    const g = groupSenders([sender("1", "pending"), sender("2", "approved"), sender("3", "pending"), sender("4", "denied")]);
    expect(g.pending.map((s) => s.userId)).toEqual(["1", "3"]);
    expect(g.approved.map((s) => s.userId)).toEqual(["2"]);
    expect(g.denied.map((s) => s.userId)).toEqual(["4"]);
  });
});
