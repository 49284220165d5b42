/**
 * `cairn search` and `cairn memory …` against a real gateway process (embedded nats-server,
 * projections, memory index with sqlite-vec) and the scripted LLM server (chat and
 * `/v1/embeddings`). Polls where the gateway works in the background; asserts no timings.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOAD_SLICE } from "../../actors/memory/index.ts";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";

const until = async <T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> => {
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe("cairn search and cairn memory, end to end", () => {
  const { gw, llm } = useGatewayWithLlm();

  it("memory: status, search (hybrid through the configured embedder), reindex with its summary", async () => {
    mkdirSync(join(gw.dataDir, "memory"), { recursive: true });
    writeFileSync(
      join(gw.dataDir, "memory", "notes.md"),
      "# Iceland\nThe capital has geothermal pools.\n\n# Bread\nSourdough needs a starter.\n",
    );
    writeFileSync(
      join(gw.configDir, "cairn.toml"),
      `[memory]\ncitations = "on"\nsession_export = true\n[[memory.embeddings]]\nprovider = "custom"\nbase_url = "${llm.url}/v1"\nmodel = "embed-64"\n`,
    );
    await gw.kill("SIGTERM");
    await gw.restart();
    const status = await until(
      async () => JSON.parse((await gw.cli(["memory", "status", "--json"])).stdout || "{}"),
      (s) => s.vectors === 2,
    );
    expect(status).toMatchObject({ enabled: true, files: 1, chunks: 2, embedders: [{ name: "custom/embed-64" }] });
    const search = await gw.cli(["memory", "search", "geotermal", "pools", "--json"]);
    expect(search.code).toBe(0);
    const r = JSON.parse(search.stdout);
    expect(r).toMatchObject({ mode: "hybrid", degraded: null });
    expect(r.hits[0]).toMatchObject({ file: "memory/notes.md", startLine: 1, endLine: 2, heading: "Iceland" });
    const human = await gw.cli(["memory", "search", "sourdough"]);
    expect(human.stdout).toMatch(/^memory\/notes\.md#L4-L5 {2}Bread/);
    const reindex = await gw.cli(["memory", "reindex"]);
    expect(reindex.code).toBe(0);
    expect(reindex.stdout).toMatch(/^indexed 1 files, 2 chunks; embedded 0 in /);
    expect(reindex.stderr).toMatch(/reindexing memory: 100% \(1\/1\)/);
  });

  it("a restarted gateway is ready before its vectors are in memory; they load behind it and search answers meanwhile", async () => {
    // More vectors than one load slice, embedded by the running gateway through the scripted server.
    const notes = Array.from({ length: Math.ceil(LOAD_SLICE * 2.2) }, (_, i) => `# Note ${i}\nharbour entry number ${i}\n`);
    writeFileSync(join(gw.dataDir, "memory", "many.md"), notes.join("\n"));
    const status = async () => JSON.parse((await gw.cli(["memory", "status", "--json"])).stdout || "{}");
    const indexed = await until(status, (s) => s.chunks > notes.length && s.vectors === s.chunks);
    await gw.kill("SIGTERM");
    const from = gw.output().length;
    await gw.restart();
    // Searches while the vectors load are answered (sqlite-vec's exact KNN), hybrid as ever.
    const search = JSON.parse((await gw.cli(["memory", "search", "harbour", "entry", "number", "42", "--json"])).stdout);
    expect(search).toMatchObject({ mode: "hybrid", degraded: null });
    expect(search.hits[0]).toMatchObject({ file: "memory/many.md", heading: "Note 42" });
    const loaded = await until(status, (s) => s.vectorsInMemory.loaded === s.vectors && !s.vectorsInMemory.loading);
    expect(loaded.vectors).toBe(indexed.vectors);
    // The order the gateway logged: ready first, the load finished after (not on the start path).
    const log = gw.output().slice(from);
    const ready = log.indexOf(" ready at ");
    const started = log.indexOf(`memory: loading ${indexed.vectors} vectors into memory`);
    const done = log.indexOf(`memory: ${indexed.vectors} vectors in memory in `);
    expect(ready).toBeGreaterThan(-1);
    expect(started).toBeGreaterThan(-1);
    expect(done).toBeGreaterThan(ready);
    const human = await gw.cli(["memory", "status"]);
    expect(human.stdout).not.toContain("vectors in memory:");
  });

  it("search: a past chat is found, narrowed by session, with --json for scripts", async () => {
    llm.script({ chunks: ["The lighthouse keeper ", "waved back."] });
    const chat = await gw.cli(["chat", "--session", "sea", "tell me about the lighthouse"]);
    expect(chat.code).toBe(0);
    const hits = await until(
      async () => jsonLines((await gw.cli(["search", "lighthouse", "--json"])).stdout),
      (h) => h.length === 2,
    );
    expect(hits.map((h) => h.role).sort()).toEqual(["assistant", "user"]);
    expect(hits[0]).toMatchObject({ sessionKey: "sea" });
    expect((await gw.cli(["search", "lighthouse", "--session", "elsewhere", "--json"])).stdout).toBe("");
    const human = await gw.cli(["search", "keeper"]);
    expect(human.stdout).toMatch(/^sea · tell me about the lighthouse · assistant · .*\n {2}The lighthouse «keeper» waved back\.\n$/);
    const usage = await gw.cli(["search"]);
    expect(usage.code).toBe(2);
    // session_export: the finished chat is a memory file too, found by memory_search's index.
    const exported = await until(
      async () => jsonLines((await gw.cli(["memory", "search", "lighthouse", "keeper", "--json"])).stdout)[0]?.hits ?? [],
      (h: { file: string }[]) => h.some((x) => x.file === "memory/sessions/sea.md"),
    );
    expect(exported.find((x: { file: string }) => x.file === "memory/sessions/sea.md")).toBeDefined();
    const md = readFileSync(join(gw.dataDir, "memory", "sessions", "sea.md"), "utf8");
    expect(md).toMatch(/^# tell me about the lighthouse\n/);
    expect(md).toContain("## User · ");
    expect(md).toContain("The lighthouse keeper waved back.");
  });
});
