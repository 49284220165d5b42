import type { ChannelAccess, ChannelSender, ChannelStatus } from "./wire.ts";

export const ACCESS_LEVELS: readonly ChannelAccess[] = ["read-only", "execute", "admin"];

/** What each level lets a sender do, in a line (the seed's per-channel permissions). */
export const accessHelp: Record<ChannelAccess, string> = {
  "read-only": "asks questions; the agent only uses tools that change nothing",
  execute: "may have the agent act; every dangerous call asks a person first",
  admin: "as you: your approval rules, and /model",
};

/** A channel's loop in words, and its tone. */
export const channelState = (c: ChannelStatus): { tone: "ok" | "warn" | "bad" | "off"; text: string } => {
  if (!c.enabled) return { tone: "off", text: "off" };
  if (c.problem) return { tone: "bad", text: "not running" };
  switch (c.state) {
    case "polling":
    case "listening":
      return { tone: "ok", text: "connected" };
    case "standby":
      return { tone: "warn", text: c.bot ? "standby (another gateway polls)" : "connecting…" };
    case "backing_off":
      return { tone: "bad", text: `reconnecting (${c.failures} failure${c.failures === 1 ? "" : "s"})` };
    case "stopped":
      return { tone: "off", text: "stopped" };
  }
};

/** The pending queue, the senders let in, and those turned away, in the order the query gives. */
export const groupSenders = (senders: readonly ChannelSender[]) => ({
  pending: senders.filter((s) => s.status === "pending"),
  approved: senders.filter((s) => s.status === "approved"),
  denied: senders.filter((s) => s.status === "denied"),
});
