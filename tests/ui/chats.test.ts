/**
 * The chat list's grouping (pinned, then by local calendar day, then by month) and the composer's
 * slash commands: what a typed line means and what the completion popup offers.
 */
import { describe, expect, test } from "vitest";
import { dateGroupOf, groupSessions } from "../../ui/src/lib/sessions.groups.ts";
import { slashCommandOf, slashHelp, slashSuggestions } from "../../ui/src/lib/slash.ts";
import type { SessionSummary } from "../../ui/src/lib/wire.ts";

// Local time, as the browser sees it: Sunday 6 December 2026, 10:00.
const now = new Date(2026, 11, 6, 10, 0).getTime();
const at = (month: number, day: number, hour = 12) => new Date(2026, month, day, hour).getTime();
const session = (key: string, updatedAt: number, more: Partial<SessionSummary> = {}): SessionSummary => ({
  key,
  title: key,
  model: null,
  createdAt: updatedAt,
  updatedAt,
  messageCount: 2,
  activeRunId: null,
  ...more,
});

describe("date groups", () => {
  test("by local calendar day, then by month", () => {
    expect(dateGroupOf(at(11, 6, 0), now)).toBe("Today");
    expect(dateGroupOf(at(11, 5, 23), now)).toBe("Yesterday");
    expect(dateGroupOf(at(11, 5, 0), now)).toBe("Yesterday");
    expect(dateGroupOf(at(11, 4), now)).toBe("Previous 7 days");
    expect(dateGroupOf(at(10, 29), now)).toBe("Previous 7 days");
    expect(dateGroupOf(at(10, 28), now)).toBe("Previous 30 days");
    expect(dateGroupOf(at(10, 6), now)).toBe("Previous 30 days");
    expect(dateGroupOf(at(10, 5), now)).toBe("November 2026");
    expect(dateGroupOf(new Date(2025, 11, 31).getTime(), now)).toBe("December 2025");
  });

  test("pinned chats first; forks stay under their parent's group; labels in order", () => {
    const list = [
      session("today", at(11, 6, 9)),
      session("fork-of-old", at(11, 6, 8), { parentKey: "old" }),
      session("pinned-old", at(9, 1), { pinned: true }),
      session("week", at(11, 2)),
      session("old", at(8, 15)),
      session("older", at(8, 2)),
    ];
    const groups = groupSessions(list, now);
    expect(groups.map((g) => [g.label, g.nodes.map((n) => `${n.session.key}@${n.depth}`)])).toEqual([
      ["Pinned", ["pinned-old@0"]],
      ["Today", ["today@0"]],
      ["Previous 7 days", ["week@0"]],
      ["September 2026", ["old@0", "fork-of-old@1", "older@0"]],
    ]);
  });

  test("a pinned fork of an unpinned chat leads the Pinned group, not marked as orphaned", () => {
    const groups = groupSessions([session("parent", at(11, 6)), session("f", at(11, 6), { parentKey: "parent", pinned: true })], now);
    expect(groups[0]).toMatchObject({ label: "Pinned", nodes: [{ session: { key: "f" }, depth: 0, orphan: false }] });
    const gone = groupSessions([session("f", at(11, 6), { parentKey: "deleted" })], now);
    expect(gone[0].nodes[0].orphan).toBe(true);
  });
});

describe("slash commands", () => {
  test("a known command with its argument; anything else is a message", () => {
    expect(slashCommandOf("/new")).toEqual({ name: "new", arg: "" });
    expect(slashCommandOf("  /model openai/gpt-4o ")).toEqual({ name: "model", arg: "openai/gpt-4o" });
    expect(slashCommandOf("/fork plan B")).toEqual({ name: "fork", arg: "plan B" });
    expect(slashCommandOf("/clear")).toEqual({ name: "clear", arg: "" });
    expect(slashCommandOf("/help")).toEqual({ name: "help", arg: "" });
    expect(slashCommandOf("/compact")).toEqual({ name: "compact", arg: "" });
    // Messages that start with a slash.
    expect(slashCommandOf("/etc/hosts has a typo")).toBeNull();
    expect(slashCommandOf("/new is a good start, right?")).toBeNull();
    expect(slashCommandOf("/start")).toBeNull();
    expect(slashCommandOf("hello /new")).toBeNull();
  });

  test("/help names every command", () => {
    const help = slashHelp();
    for (const c of ["/new", "/model", "/compact", "/fork", "/clear", "/help"]) expect(help).toContain(c);
  });

  test("the popup offers the commands a prefix starts, then models after /model", () => {
    const models = ["openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-sonnet"];
    expect(slashSuggestions("/", models).map((s) => s.label.split(" ")[0])).toEqual([
      "/new",
      "/model",
      "/compact",
      "/fork",
      "/clear",
      "/help",
    ]);
    expect(slashSuggestions("/c", models).map((s) => s.text)).toEqual(["/compact", "/clear"]);
    expect(slashSuggestions("/m", models)).toEqual([expect.objectContaining({ text: "/model ", complete: false })]);
    expect(slashSuggestions("/model ", models).map((s) => s.label)).toEqual(["default", ...models]);
    // What was typed in full comes first, so Enter picks it.
    expect(slashSuggestions("/model gpt-4o", models).map((s) => s.label)).toEqual(["openai/gpt-4o", "openai/gpt-4o-mini"]);
    expect(slashSuggestions("/model claude", models)[0]).toMatchObject({ text: "/model anthropic/claude-sonnet", complete: true });
    expect(slashSuggestions("hello", models)).toEqual([]);
    expect(slashSuggestions("/new\nmore", models)).toEqual([]);
    expect(slashSuggestions("/zzz", models)).toEqual([]);
  });
});
