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

describe("read models of forks and deleted sessions", () => {
  test("a fork's row names its parent, fork point, label and sandbox; its history holds the copies as they were", async () => {
    s.llm.script({ chunks: ["fine"] }, { error: { status: 400, message: "nope" } });
    await chatUntilEnded(s.nc, "pp", "first question");
    await chatUntilEnded(s.nc, "pp", "second question");
    await s.sessionCommand("pp", "set_sandbox", { sandbox: "docker" });
    await s.sessionCommand("pp", "fork", { forkKey: "pf", label: "branch" });
    await s.sessionCommand("pp", "fork", { forkKey: "pf2", messageIndex: 1 });
    await s.settled();

    const list = s.q.listSessions();
    const byKey = Object.fromEntries(list.map((x) => [x.key, x]));
    expect(byKey.pf).toMatchObject({
      parentKey: "pp",
      forkPoint: 4,
      label: "branch",
      sandbox: "docker",
      title: "branch",
      messageCount: 4,
      activeRunId: null,
    });
    expect(byKey.pf2).toMatchObject({ parentKey: "pp", forkPoint: 1, label: null, title: "first question (fork)", messageCount: 1 });
    expect(byKey.pp).toMatchObject({ parentKey: null, forkPoint: null, sandbox: "docker" });

    const parent = s.q.history("pp").messages;
    const copied = s.q.history("pf").messages;
    // Same ids, texts, statuses, errors and times: the failed reply stays failed in the fork.
    expect(copied).toEqual(parent);
    expect(copied[3]).toMatchObject({ role: "assistant", status: "failed", error: { code: expect.any(String) } });
    expect(s.q.history("pf2").messages.map((m) => m.text)).toEqual(["first question"]);
    // Over the bus, as the edge and the CLI ask.
    const viaBus = (await request(s.nc, subjects.query("sessions", "get"), { sessionKey: "pf" })) as { session: Record<string, unknown> };
    expect(viaBus.session).toMatchObject({ parentKey: "pp", forkPoint: 4, label: "branch" });
  });

  test("a deleted session leaves the list, get and history; its forks stay, still naming it", async () => {
    expect(await s.sessionCommand("pp", "delete", {})).toMatchObject({ deleted: true });
    await s.settled();
    const keys = s.q.listSessions().map((x) => x.key);
    expect(keys).not.toContain("pp");
    expect(keys).toEqual(expect.arrayContaining(["pf", "pf2"]));
    expect(() => s.q.session("pp")).toThrow(expect.objectContaining({ code: "session_not_found" }));
    expect(() => s.q.history("pp")).toThrow(expect.objectContaining({ code: "session_not_found" }));
    await expect(request(s.nc, subjects.query("messages", "history"), { sessionKey: "pp" })).rejects.toMatchObject({
      code: "session_not_found",
    });
    await expect(request(s.nc, subjects.query("sessions", "get"), { sessionKey: "pp" })).rejects.toMatchObject({
      code: "session_not_found",
    });
    // The transcript leaves the read model too; the forks keep their own copies.
    expect(s.projector.db.prepare("SELECT COUNT(*) FROM messages WHERE session_key = 'pp'").pluck().get()).toBe(0);
    expect(s.q.history("pf").messages).toHaveLength(4);
    expect(s.q.session("pf").session.parentKey).toBe("pp");
  });

  test("rebuilt from the log, the read models answer the same", async () => {
    s.llm.script({ chunks: ["after the fork"] });
    await chatUntilEnded(s.nc, "pf", "go on");
    await s.settled();
    const file = join(s.dir, "fork-rebuilt.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    const rebuilt = queries(() => db);
    expect(rebuilt.listSessions()).toEqual(s.q.listSessions());
    for (const key of ["pf", "pf2"]) expect(rebuilt.history(key)).toEqual(s.q.history(key));
    expect(
      rebuilt
        .history("pf")
        .messages.map((m) => m.text)
        .slice(-2),
    ).toEqual(["go on", "after the fork"]);
    expect(() => rebuilt.history("pp")).toThrow(expect.objectContaining({ code: "session_not_found" }));
    db.close();
  });
});
