/**
 * The chat's bubbles, merged from history, messages on their way and live replies. While a reply
 * streams, the bubbles of the history above it must stay the same objects, so their components
 * skip the update every frame instead of re-rendering the whole chat.
 */
import { describe, expect, test } from "vitest";
import { mergeMessages, type LiveRun } from "../../ui/src/lib/messages.ts";
import type { HistoryMessage } from "../../ui/src/lib/wire.ts";

const history: HistoryMessage[] = [
  { id: "m1", role: "user", text: "hi", status: "complete", runId: "r1", at: 1, error: null },
  { id: "a-r1", role: "assistant", text: "hello", status: "complete", runId: "r1", at: 2, error: null },
  { id: "m2", role: "user", text: "more", status: "complete", runId: "r2", at: 3, error: null },
];
const live = (text: string): LiveRun => ({ runId: "r2", text, status: "streaming", error: null, at: 4 });

describe("mergeMessages", () => {
  test("unchanged history keeps its bubble objects while the live reply grows", () => {
    const a = mergeMessages(history, [], [live("one")]);
    const b = mergeMessages(history, [], [live("one two")]);
    expect(b.slice(0, 3)).toEqual(a.slice(0, 3));
    for (let i = 0; i < 3; i++) expect(b[i]).toBe(a[i]);
    expect(b[3]).toMatchObject({ role: "assistant", text: "one two", status: "streaming", runId: "r2" });
  });

  test("a history message at another position, or with new notices, gets a new bubble", () => {
    const a = mergeMessages(history, [], []);
    const shifted = mergeMessages(history.slice(1), [], []);
    expect(shifted[0]).not.toBe(a[1]);
    expect(shifted[0].historyIndex).toBe(0);
    const noticed = mergeMessages(history, [], [], { r1: ["switched"] });
    expect(noticed[1]).not.toBe(a[1]);
    expect(noticed[1].notices).toEqual(["switched"]);
  });
});
