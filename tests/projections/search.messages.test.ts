/**
 * Chat search (`q.search.messages`) on real parts: nats-server, the log, the actor system, the
 * projector and its FTS5 index, the scripted LLM server. Matches come from user messages and
 * replies, words are highlighted, a session filter narrows, a deleted session leaves the index,
 * FTS5 syntax in the query is taken literally, and a rebuild from the log answers the same.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { buildFresh, installRebuilt, searchMessages, serveSearchQueries } from "../../projections/index.ts";
import type { SearchMessagesResult } from "../../schemas/index.ts";
import { chatUntilEnded, startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
let subs: { unsubscribe(): void }[];

beforeAll(async () => {
  s = await startStack();
  subs = serveSearchQueries(
    s.nc,
    () => s.projector.db,
    () => s.projector.checkpoint,
  );
  s.llm.script(
    { chunks: ["The capital of ", "Iceland is Reykjavík."] },
    { chunks: ["Sourdough needs a ", "starter and patience."] },
    { chunks: ["Reykjavík has geothermal pools."] },
  );
  await chatUntilEnded(s.nc, "geo", "What is the capital of Iceland?");
  await chatUntilEnded(s.nc, "bread", "How do I bake sourdough bread?");
  await chatUntilEnded(s.nc, "geo", "Tell me more about the city");
  await s.settled();
}, 60_000);

afterAll(async () => {
  for (const sub of subs ?? []) sub.unsubscribe();
  await s?.stop();
});

const search = async (params: Record<string, unknown>) =>
  (await request(s.nc, subjects.query("search", "messages"), params)) as SearchMessagesResult;

describe("q.search.messages", () => {
  test("finds user messages and replies, with the matched words marked", async () => {
    const r = await search({ query: "reykjavik" });
    // Diacritics folded: "reykjavik" matches "Reykjavík" in both replies.
    expect(r.hits.map((h) => [h.sessionKey, h.role])).toEqual(
      expect.arrayContaining([
        ["geo", "assistant"],
        ["geo", "assistant"],
      ]),
    );
    expect(r.hits).toHaveLength(2);
    for (const h of r.hits) expect(h.snippet.filter((p) => p.match).map((p) => p.text)).toEqual(["Reykjavík"]);
    expect(r.checkpoint).toBeGreaterThan(0);
  });

  test("every word is required; stems and prefixes match", async () => {
    expect((await search({ query: "bake bread" })).hits.map((h) => h.sessionKey)).toEqual(["bread"]);
    // porter: "baking" finds "bake"; the last word is a prefix: "sourd" finds "sourdough".
    expect((await search({ query: "baking" })).hits).toHaveLength(1);
    expect((await search({ query: "sourd" })).hits.map((h) => h.role).sort()).toEqual(["assistant", "user"]);
    expect((await search({ query: "sourdough iceland" })).hits).toHaveLength(0);
  });

  test("a session filter narrows; the session's title rides along", async () => {
    const all = await search({ query: "capital" });
    expect(all.hits.length).toBe(2);
    const only = await search({ query: "capital", sessionKey: "bread" });
    expect(only.hits).toHaveLength(0);
    expect(all.hits[0].sessionTitle).toBe("What is the capital of Iceland?");
  });

  test("FTS5 syntax is taken as words, never as a query error", async () => {
    for (const q of ['"unbalanced', "NEAR(", "a AND OR", "-capital", "*", "col:capital"]) {
      const r = await search({ query: q });
      expect(Array.isArray(r.hits)).toBe(true);
    }
    expect((await search({ query: "!!!" })).hits).toEqual([]);
  });

  test("bad params are a typed error", async () => {
    await expect(search({ query: "" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(search({ query: "x", limit: 0 })).rejects.toMatchObject({ code: "bad_request" });
  });

  test("a rebuild from the log answers the same, and a deleted session leaves the index", async () => {
    const before = searchMessages(s.projector.db, { query: "reykjavik" });
    const file = join(s.dir, "search-rebuilt.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    expect(searchMessages(db, { query: "reykjavik" })).toEqual(before);
    db.close();
    rmSync(file, { force: true });

    await s.sessionCommand("geo", "delete", {});
    await s.settled();
    expect((await search({ query: "reykjavik" })).hits).toEqual([]);
    expect((await search({ query: "sourdough" })).hits).toHaveLength(2);
  });
});
