/**
 * A reply's text as the chat page assembles it from live deltas: in order, with repeats from a
 * resume, and out of order when a replay interleaves with live deltas — at the length of a long
 * reply (5,000 deltas) without re-joining the text on every token.
 */
import { describe, expect, test } from "vitest";
import { DeltaText } from "../../ui/src/lib/deltas.ts";
import { mergeTail } from "../../ui/src/lib/messages.ts";
import type { HistoryMessage } from "../../ui/src/lib/wire.ts";

const N = 5000;
const token = (i: number) => `w${i} `;
const whole = Array.from({ length: N }, (_, i) => token(i)).join("");

describe("DeltaText", () => {
  test("5,000 deltas in order append without a single re-join", () => {
    const t = new DeltaText();
    for (let i = 0; i < N; i++) expect(t.place(i, token(i))).toBe(true);
    expect(t.text).toBe(whole);
    expect(t.rejoins).toBe(0);
  });

  test("a resume replays the reply from its start: repeats are dropped, the text is whole once", () => {
    const t = new DeltaText();
    for (let i = 0; i < 3000; i++) t.place(i, token(i));
    let placed = 0;
    for (let i = 0; i < N; i++) if (t.place(i, token(i))) placed++;
    expect(placed).toBe(N - 3000);
    expect(t.text).toBe(whole);
    expect(t.rejoins).toBe(0);
  });

  test("live deltas ahead of a replay leave a gap that the replay fills, in order", () => {
    const t = new DeltaText();
    for (let i = 0; i < 100; i++) t.place(i, token(i));
    // The page reconnected: live deltas 4000.. arrive while the replay of 100..3999 is read.
    for (let i = 4000; i < N; i++) t.place(i, token(i));
    for (let i = 100; i < 4000; i++) t.place(i, token(i));
    expect(t.text).toBe(whole);
  });

  test("bad indexes are ignored", () => {
    const t = new DeltaText();
    expect(t.place(-1, "x")).toBe(false);
    expect(t.place(1.5, "x")).toBe(false);
    expect(t.text).toBe("");
  });
});

const msg = (id: string, text = id): HistoryMessage => ({ id, role: "user", text, status: "complete", runId: null, at: 0, error: null });

describe("mergeTail (history after a run, without fetching it all)", () => {
  const shown = ["a", "b", "c", "d"].map((id) => msg(id));

  test("the tail replaces the end it overlaps and adds what is new", () => {
    const merged = mergeTail(shown, [msg("c", "c2"), msg("d"), msg("e")], 500);
    expect(merged?.map((m) => `${m.id}:${m.text}`)).toEqual(["a:a", "b:b", "c:c2", "d:d", "e:e"]);
  });

  test("a tail that does not reach what is shown asks for the whole history", () => {
    expect(mergeTail(shown, [msg("x"), msg("y")], 500)).toBeNull();
  });

  test("an empty page takes the tail; the result keeps at most `limit` messages", () => {
    expect(mergeTail([], [msg("a")], 500)?.map((m) => m.id)).toEqual(["a"]);
    expect(mergeTail(shown, [msg("d"), msg("e")], 3)?.map((m) => m.id)).toEqual(["c", "d", "e"]);
  });
});
