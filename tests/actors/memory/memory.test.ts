/**
 * Memory on real parts: files in a temporary data directory, the real fs watcher, SQLite with
 * FTS5 and sqlite-vec, the OpenAI SDK against the scripted server's `/v1/embeddings`, and the
 * tiny GGUF model through node-llama-cpp. Ranks and counts are asserted, never speed.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { localEmbedder, memoryTools, setupMemory, type MemorySetup } from "../../../actors/memory/index.ts";
import type { Tool } from "../../../actors/tools/index.ts";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { tinyModelCached } from "../../fixtures/gguf/index.ts";

let llm: LlmServer;
beforeAll(async () => {
  llm = await startLlmServer();
});
afterAll(async () => {
  await llm?.close();
});

const open: MemorySetup[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.manager.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  llm.embeddings.failWith = null;
});

const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-memory-"));
  dirs.push(d);
  mkdirSync(join(d, "memory"));
  return d;
};

const NOTES = `# Travel
We flew to Iceland in May.

## Reykjavík
The capital has geothermal pools and a famous church.

# Food
Sourdough bread needs a starter and patience.
`;

const start = async (d: string, config: Parameters<typeof setupMemory>[0] = {}, extra: Partial<Parameters<typeof setupMemory>[1]> = {}) => {
  const m = setupMemory(config, { dataDir: d, env: { TEST_KEY: "sk-test" }, ...extra });
  if (!m) throw new Error("memory is off");
  open.push(m);
  await m.manager.start();
  return m;
};

const compat = (model = "embed-64") => ({ provider: "custom" as const, base_url: llm.openaiBaseUrl, model, api_key_env: "TEST_KEY" });

/** Polls until `check` holds (the watcher is asynchronous); the test's own timeout bounds it. */
const until = async <T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> => {
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("keyword only (no embedder)", () => {
  test("indexes MEMORY.md and memory/, says it searched by keywords alone", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    writeFileSync(join(d, "MEMORY.md"), "# Me\nI prefer tea over coffee.\n");
    const m = await start(d);
    const r = await m.manager.search({ query: "geothermal pools" });
    expect(r.mode).toBe("keyword");
    expect(r.degraded).toMatch(/keyword search only: no embedder is configured/);
    expect(r.hits[0]).toMatchObject({ file: "memory/notes.md", startLine: 4, endLine: 5, heading: "Travel › Reykjavík", via: ["fts"] });
    expect((await m.manager.search({ query: "what do I drink, tea?" })).hits[0].file).toBe("MEMORY.md");
    expect(m.manager.status()).toMatchObject({ files: 2, chunks: 4, vectors: 0, mode: "keyword" });
  });

  test("the watcher: a new, changed or deleted file is reflected without a reindex", async () => {
    const d = dataDir();
    const m = await start(d);
    const search = () => m.manager.search({ query: "kayak" });
    mkdirSync(join(d, "memory", "trips"));
    writeFileSync(join(d, "memory", "trips", "norway.md"), "# Norway\nWe rented a kayak in the fjords.\n");
    const found = await until(search, (r) => r.hits.length === 1);
    expect(found.hits[0].file).toBe("memory/trips/norway.md");
    writeFileSync(join(d, "memory", "trips", "norway.md"), "# Norway\nWe hiked instead.\n");
    await until(search, (r) => r.hits.length === 0);
    writeFileSync(join(d, "memory", "later.md"), "kayak again\n");
    await until(search, (r) => r.hits.length === 1);
    unlinkSync(join(d, "memory", "later.md"));
    await until(search, (r) => r.hits.length === 0);
    // Hidden folders and other extensions are not memory.
    mkdirSync(join(d, "memory", ".git"));
    writeFileSync(join(d, "memory", ".git", "x.md"), "kayak\n");
    writeFileSync(join(d, "memory", "x.txt"), "kayak\n");
    await m.manager.reindex();
    expect((await search()).hits).toHaveLength(0);
  });

  test("[memory] directories are indexed under the name the user wrote", async () => {
    const d = dataDir();
    const extra = join(d, "elsewhere");
    mkdirSync(extra);
    writeFileSync(join(extra, "work.md"), "# Work\nThe quarterly report is due Friday.\n");
    const m = await start(d, { directories: [extra] });
    const r = await m.manager.search({ query: "quarterly report" });
    expect(r.hits[0].file).toBe(`${extra}/work.md`);
    expect(m.manager.status().directories.map((x) => x.watching)).toEqual([true, true, true]);
  });
});

describe("hybrid: FTS5 + sqlite-vec, fused", () => {
  test("a misspelt word is found by its vector where full-text finds nothing", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    const m = await start(d, { embeddings: [compat()] });
    await m.manager.settled();
    expect(m.manager.status()).toMatchObject({ chunks: 3, vectors: 3, mode: "hybrid" });
    const typo = await m.manager.search({ query: "geotermal poolz" });
    expect(typo.mode).toBe("hybrid");
    expect(typo.hits[0]).toMatchObject({ heading: "Travel › Reykjavík", via: ["vector"] });
    const exact = await m.manager.search({ query: "geothermal pools" });
    expect(exact.hits[0]).toMatchObject({ heading: "Travel › Reykjavík", via: ["fts", "vector"] });
    // A path filter applies to both searches.
    expect((await m.manager.search({ query: "geothermal", path_prefix: "memory/other/" })).hits).toEqual([]);
  });

  test("the cache: unchanged chunks are never embedded again, a rebuilt index answers the same", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    const m = await start(d, { embeddings: [compat()] });
    await m.manager.settled();
    const before = llm.embeddings.inputs;
    writeFileSync(join(d, "memory", "notes.md"), `${NOTES}\n# Music\nJazz on Sundays.\n`);
    await until(
      () => m.manager.search({ query: "jazz" }),
      // Vectors always have nearest neighbours: wait for the full-text match of the new section.
      (r) => r.hits.some((h) => h.heading === "Music" && h.via.includes("fts")),
    );
    await m.manager.settled();
    // One new chunk, plus the two queries: the three old chunks came from the cache.
    expect(llm.embeddings.inputs - before).toBe(1 + 1);
    const answer = await m.manager.search({ query: "church in the capital" });
    await m.manager.stop();
    open.pop();

    // The index is a cache of the files: delete it, index again, same answers, no new embeddings.
    rmSync(join(d, "memory.db"));
    const again = await start(d, { embeddings: [compat()] });
    await again.manager.settled();
    expect(await again.manager.search({ query: "church in the capital" })).toEqual(answer);
  });

  test("fallback chain with a breaker; with none answering, keyword search says why", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    let clock = 1_000;
    const broken = { provider: "custom" as const, base_url: `${llm.url}/broken/v1`, model: "embed-64" };
    llm.embeddings.failWith = 503;
    const m = await start(d, { embeddings: [compat("embed-32"), compat("embed-48")] }, { now: () => clock });
    // Both fail: keyword mode, each named with its failure.
    const r = await m.manager.search({ query: "sourdough" });
    expect(r).toMatchObject({ mode: "keyword" });
    expect(r.degraded).toMatch(/custom\/embed-32: .*503.*custom\/embed-48/s);
    expect(r.hits[0].heading).toBe("Food");
    // Two failures in a row open the first breaker: it is skipped without a request.
    await m.manager.search({ query: "sourdough" });
    expect(m.manager.status().embedders.map((e) => e.state)).toEqual(["open", "open"]);
    const requests = llm.embeddings.requests;
    llm.embeddings.failWith = null;
    const skipped = await m.manager.search({ query: "sourdough" });
    expect(skipped.degraded).toMatch(/skipped after repeated failures/);
    expect(llm.embeddings.requests).toBe(requests);
    // After the cooldown one call tries again (half-open) and closes the breaker.
    clock += 31_000;
    expect((await m.manager.search({ query: "sourdough" })).mode).toBe("hybrid");
    expect(m.manager.status().embedders[0]).toMatchObject({ state: "ok", lastError: null });
    void broken;
  });

  test("a local GGUF model (node-llama-cpp) as a fallback embedder", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    llm.embeddings.failWith = 500;
    const model = await tinyModelCached();
    const m = await start(d, { embeddings: [compat(), { provider: "local", model_path: model }] });
    const r = await m.manager.search({ query: "bread" });
    expect(r.mode).toBe("hybrid");
    await m.manager.settled();
    const s = m.manager.status();
    expect(s.embedders.map((e) => e.name)).toEqual(["custom/embed-64", `local/${model.split("/").pop()}`]);
    // Gibberish weights: the vectors mean nothing, but every chunk has one in the local space.
    expect(s.vectors).toBe(3);
    expect((await m.manager.search({ query: "bread" })).hits.length).toBeGreaterThan(0);
    // The embedder is usable alone too (its own test of dims and determinism).
    const e = localEmbedder(model, { threads: 1 });
    const [a, b] = await e.embed(["same text", "same text"]);
    expect(a.length).toBeGreaterThan(0);
    expect(Array.from(a)).toEqual(Array.from(b));
    await e.close?.();
  }, 60_000);
});

describe("the agent's tools", () => {
  const tool = (tools: Tool[], name: string) => tools.find((t) => t.name === name) as Tool;
  const ctx = { workspace: "/nonexistent", signal: new AbortController().signal, sessionKey: "s" };

  test("memory_search cites file and lines (auto: when results span files); memory_get reads them", async () => {
    const d = dataDir();
    writeFileSync(join(d, "memory", "notes.md"), NOTES);
    writeFileSync(join(d, "memory", "more.md"), "# Pools\nThe Blue Lagoon is a geothermal spa.\n");
    const m = await start(d);
    const tools = memoryTools(m.manager, { citations: "auto", memoryDir: join(d, "memory") });
    const out = (await tool(tools, "memory_search").run({ query: "geothermal" }, ctx)).output;
    expect(out).toContain("Source: memory/notes.md#L4-L5");
    expect(out).toContain("Source: memory/more.md#L1-L2");
    expect(out).toMatch(/Cite what you use/);
    const one = (await tool(tools, "memory_search").run({ query: "sourdough" }, ctx)).output;
    expect(one).not.toContain("Source:");
    const off = memoryTools(m.manager, { citations: "off", memoryDir: join(d, "memory") });
    expect((await tool(off, "memory_search").run({ query: "geothermal" }, ctx)).output).not.toContain("Source:");

    const got = (await tool(tools, "memory_get").run({ file: "memory/notes.md", lines: "4-5" }, ctx)).output;
    expect(got).toBe(
      "memory/notes.md#L4-L5 (9 lines)\n## Reykjavík\nThe capital has geothermal pools and a famous church.\n(lines 6-9 not shown)",
    );
    // Only files the index holds: never a path outside memory.
    await expect(tool(tools, "memory_get").run({ file: "../../etc/passwd" }, ctx)).rejects.toMatchObject({ code: "not_found" });
  });

  test("memory_save asks first (dangerous), appends under memory/ and is searchable at once", async () => {
    const d = dataDir();
    const m = await start(d);
    const tools = memoryTools(m.manager, { citations: "on", memoryDir: join(d, "memory"), now: () => Date.UTC(2026, 0, 2, 3, 4) });
    const save = tool(tools, "memory_save");
    expect(save.dangerous).toBe(true);
    expect((await save.run({ text: "Anna's birthday is March 3.", file: "people.md" }, ctx)).output).toBe("saved to memory/people.md");
    const r = await tool(tools, "memory_search").run({ query: "Anna birthday" }, ctx);
    expect(r.output).toContain("memory/people.md#L2-L4 — 2026-01-02 03:04");
    await expect(save.run({ text: "x", file: "../escape.md" }, ctx)).rejects.toMatchObject({ code: "bad_request" });
  });
});
