/**
 * The chat list's own changes as read models see them: a rename (`session.renamed`) and a pin
 * (`session.pinned`) change the row without moving the chat in time; pinned chats lead the list;
 * a rebuild from the log answers the same.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { request, subjects } from "../../bus/index.ts";
import { buildFresh, installRebuilt, queries } from "../../projections/index.ts";
import { chatUntilEnded, startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.stop();
});

describe("renamed and pinned chats in the read models", () => {
  test("a rename changes the title only; pinned chats lead the list, most recent first among them", async () => {
    s.llm.script({ chunks: ["one"] }, { chunks: ["two"] }, { chunks: ["three"] });
    await chatUntilEnded(s.nc, "old", "the oldest chat");
    await chatUntilEnded(s.nc, "mid", "the middle chat");
    await chatUntilEnded(s.nc, "new", "the newest chat");
    await s.settled();
    const before = Object.fromEntries(s.q.listSessions().map((x) => [x.key, x]));
    expect(s.q.listSessions().map((x) => x.key)).toEqual(["new", "mid", "old"]);

    expect(await s.sessionCommand("old", "rename", { title: "  Trip to Lisbon  " })).toEqual({
      sessionKey: "old",
      title: "Trip to Lisbon",
      changed: true,
    });
    expect(await s.sessionCommand("old", "pin", { pinned: true })).toEqual({ sessionKey: "old", pinned: true, changed: true });
    expect(await s.sessionCommand("mid", "pin", { pinned: true })).toMatchObject({ changed: true });
    await s.settled();

    const list = s.q.listSessions();
    expect(list.map((x) => [x.key, x.pinned])).toEqual([
      ["mid", true],
      ["old", true],
      ["new", false],
    ]);
    const old = list.find((x) => x.key === "old");
    // Neither is activity: the chat keeps its time (and its date group in the UI).
    expect(old).toMatchObject({ title: "Trip to Lisbon", updatedAt: before.old.updatedAt, messageCount: 2 });
    expect(s.q.session("old").session).toMatchObject({ title: "Trip to Lisbon", pinned: true });

    // Over the bus, as the edge asks.
    const viaBus = (await request(s.nc, subjects.query("sessions", "list"), { limit: 10 })) as { sessions: Array<{ key: string }> };
    expect(viaBus.sessions.map((x) => x.key)).toEqual(["mid", "old", "new"]);
  });

  test("the same again records nothing; unpinning puts the chat back in date order", async () => {
    const last = await s.log.lastSeq();
    expect(await s.sessionCommand("old", "rename", { title: "Trip to Lisbon" })).toMatchObject({ changed: false });
    expect(await s.sessionCommand("old", "pin", { pinned: true })).toMatchObject({ changed: false });
    expect(await s.log.lastSeq()).toBe(last);

    await s.sessionCommand("mid", "pin", { pinned: false });
    await s.settled();
    expect(s.q.listSessions().map((x) => x.key)).toEqual(["old", "new", "mid"]);
  });

  test("an empty title or an unknown chat is refused with a typed error, and nothing is written", async () => {
    const last = await s.log.lastSeq();
    await expect(s.sessionCommand("old", "rename", { title: "   " })).rejects.toMatchObject({ code: "bad_request" });
    await expect(s.sessionCommand("old", "rename", { title: "x".repeat(201) })).rejects.toMatchObject({ code: "bad_request" });
    await expect(s.sessionCommand("nope", "pin", { pinned: true })).rejects.toMatchObject({ code: "session_not_found" });
    expect(await s.log.lastSeq()).toBe(last);
  });

  test("rebuilt from the log, the list answers the same", async () => {
    const file = join(s.dir, "chats-rebuilt.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    expect(queries(() => db).listSessions()).toEqual(s.q.listSessions());
  });
});
