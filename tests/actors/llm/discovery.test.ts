import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ModelDiscovery, type DiscoveryTarget } from "../../../actors/llm/index.ts";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { closedPort, TEST_KEY } from "./llm.helpers.ts";

describe("model discovery", () => {
  let server: LlmServer;
  let dir: string;
  let clock: number;
  const now = () => clock;
  beforeAll(async () => {
    server = await startLlmServer({ apiKey: TEST_KEY });
    dir = mkdtempSync(join(tmpdir(), "cairn-discovery-"));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.reset();
    clock = 1_000_000;
  });

  const target = (over: Partial<DiscoveryTarget> = {}): DiscoveryTarget => ({
    id: "groq",
    baseUrl: server.baseUrl("/openai/v1"),
    discovery: "openai",
    key: TEST_KEY,
    keyVariable: "GROQ_API_KEY",
    ...over,
  });
  const fresh = (file: string | null = null, o: { ttlMs?: number; timeoutMs?: number } = {}) =>
    new ModelDiscovery({ cacheFile: file, now, ...o });

  it("lists GET <base>/models with the key as Bearer, leaving out models that cannot chat", async () => {
    server.models({
      models: [
        "llama-3.3-70b-versatile",
        "whisper-large-v3",
        "text-embedding-3-small",
        { id: "llama-3.1-8b-instant", context_window: 131072 },
      ],
    });
    const r = await fresh().discover(target());
    expect(r.error).toBeNull();
    expect(r.reachable).toBe(true);
    expect(r.models).toEqual([
      { id: "llama-3.3-70b-versatile", contextWindow: null, tools: null, vision: null },
      { id: "llama-3.1-8b-instant", contextWindow: 131072, tools: null, vision: null },
    ]);
    expect(server.listRequests[0]).toMatchObject({ path: "/openai/v1/models", status: 200 });
    expect(server.listRequests[0].headers.authorization).toBe(`Bearer ${TEST_KEY}`);
  });

  it("reads OpenRouter's context_length, input modalities and supported parameters", async () => {
    server.models({
      models: [
        {
          id: "openai/gpt-4o-mini",
          context_length: 128000,
          architecture: { input_modalities: ["text", "image"] },
          supported_parameters: ["tools", "temperature"],
        },
        {
          id: "some-lab/new-model",
          context_length: 32768,
          architecture: { input_modalities: ["text"] },
          supported_parameters: ["temperature"],
        },
      ],
    });
    const r = await fresh().discover(target({ id: "openrouter", baseUrl: server.baseUrl("/api/v1"), keyVariable: "OPENROUTER_API_KEY" }));
    expect(r.models).toEqual([
      { id: "openai/gpt-4o-mini", contextWindow: 128000, tools: true, vision: true },
      { id: "some-lab/new-model", contextWindow: 32768, tools: false, vision: false },
    ]);
  });

  it("Gemini's 'models/' prefix is dropped, so the names are what its chat endpoint takes", async () => {
    server.models({ models: ["models/gemini-2.5-flash", "models/gemini-embedding-001"] });
    const r = await fresh().discover(target({ id: "gemini", baseUrl: server.baseUrl("/v1beta/openai") }));
    expect(r.models.map((m) => m.id)).toEqual(["gemini-2.5-flash"]);
    expect(server.listRequests[0].path).toBe("/v1beta/openai/models");
  });

  it("Anthropic: GET /v1/models with x-api-key and anthropic-version", async () => {
    server.models({ models: ["claude-sonnet-4-6", "claude-opus-4-1"] });
    const r = await fresh().discover(
      target({ id: "anthropic", baseUrl: server.url, discovery: "anthropic", keyVariable: "ANTHROPIC_API_KEY" }),
    );
    expect(r.models.map((m) => m.id)).toEqual(["claude-sonnet-4-6", "claude-opus-4-1"]);
    const rec = server.listRequests[0];
    expect(rec.path).toBe("/v1/models?limit=1000");
    expect(rec.headers["x-api-key"]).toBe(TEST_KEY);
    expect(rec.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("Ollama: the tags API and /v1/models together, without a key", async () => {
    const ollama = await startLlmServer();
    try {
      ollama.models({ models: ["llama3.2:latest"], tags: ["llama3.2:latest", "qwen2.5:7b", "nomic-embed-text:latest"] });
      const t = target({ id: "ollama", baseUrl: ollama.baseUrl("/v1"), discovery: "ollama", key: null, keyVariable: null });
      const r = await fresh().discover(t);
      expect(r.models.map((m) => m.id)).toEqual(["llama3.2:latest", "qwen2.5:7b"]);
      expect(ollama.listRequests.map((q) => q.path).sort()).toEqual(["/api/tags", "/v1/models"]);
      expect(ollama.listRequests.every((q) => q.headers.authorization === undefined)).toBe(true);
      // An Ollama that only speaks its native API still lists its models.
      ollama.models({ error: { status: 404 }, tags: ["mistral:7b"] });
      expect((await fresh().discover(t)).models.map((m) => m.id)).toEqual(["mistral:7b"]);
    } finally {
      await ollama.close();
    }
  });

  it("caches in memory for the TTL; refresh asks anyway; after the TTL it asks again", async () => {
    server.models({ models: ["a"] });
    const d = fresh(null, { ttlMs: 60_000 });
    await d.discover(target());
    server.models({ models: ["a", "b"] });
    clock += 59_000;
    expect((await d.discover(target())).models.map((m) => m.id)).toEqual(["a"]);
    expect(server.listRequests).toHaveLength(1);
    expect((await d.discover(target(), { refresh: true })).models.map((m) => m.id)).toEqual(["a", "b"]);
    expect(server.listRequests).toHaveLength(2);
    clock += 61_000;
    await d.discover(target());
    expect(server.listRequests).toHaveLength(3);
  });

  it("concurrent asks share one request", async () => {
    server.models({ models: ["a"], delayMs: 100 });
    const d = fresh();
    const [x, y] = await Promise.all([d.discover(target()), d.discover(target())]);
    expect(x).toBe(y);
    expect(server.listRequests).toHaveLength(1);
  });

  it("survives a restart through the disk cache, for the same base URL only", async () => {
    const file = join(dir, "cache", "models.json");
    server.models({ models: ["llama-3.3-70b-versatile"] });
    await fresh(file).discover(target());
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: 1, providers: { groq: { fetchedAt: clock } } });

    const after = fresh(file); // a new process
    expect(after.cached("groq")?.models.map((m) => m.id)).toEqual(["llama-3.3-70b-versatile"]);
    clock += 1000;
    await after.discover(target());
    expect(server.listRequests).toHaveLength(1); // still fresh: not asked again
    expect(after.cached("groq", "http://127.0.0.1:1/other/v1")).toBeUndefined();
  });

  it("a failed refresh keeps the last good list and reports the error beside it", async () => {
    server.models({ models: ["a", "b"] });
    const d = fresh();
    await d.discover(target());
    server.models({ error: { status: 500 } });
    const r = await d.discover(target(), { refresh: true });
    expect(r.models.map((m) => m.id)).toEqual(["a", "b"]);
    expect(r.error).toMatchObject({ code: "provider_error", details: { provider: "groq", status: 500 } });
    expect(r.reachable).toBe(true);
    expect(r.fetchedAt).toBe(1_000_000);
  });

  it("a refused key is provider_auth naming the variable and set-key, without the key", async () => {
    const r = await fresh().discover(target({ key: "sk-wrong-0123456789abcdef" }));
    expect(r.error?.code).toBe("provider_auth");
    expect(r.error?.message).toContain("check GROQ_API_KEY or 'cairn providers set-key groq'");
    expect(JSON.stringify(r)).not.toContain("sk-wrong-0123456789abcdef");
    expect(r.reachable).toBe(true);
    expect(r.models).toEqual([]);
  });

  it("unreachable and silent servers are provider_unreachable, reachable false", async () => {
    const port = await closedPort();
    const refused = await fresh().discover(target({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    expect(refused.error?.code).toBe("provider_unreachable");
    expect(refused.error?.message).toContain("ECONNREFUSED");
    expect(refused.reachable).toBe(false);

    server.models({ models: ["a"], delayMs: 1500 });
    const t0 = performance.now();
    const slow = await fresh(null, { timeoutMs: 200 }).discover(target());
    expect(performance.now() - t0).toBeLessThan(1200);
    expect(slow.error?.code).toBe("provider_unreachable");
    expect(slow.error?.message).toContain("no answer within 0.2 s");
  });

  it("a wrong path and a body that is not a model list are provider_error", async () => {
    server.models({ error: { status: 404, message: "Invalid URL (GET /v1/models)" } });
    const wrongPath = await fresh().discover(target());
    expect(wrongPath.error).toMatchObject({ code: "provider_error", details: { status: 404 } });
    expect(wrongPath.error?.message).toContain("does not list models at");
    expect(wrongPath.error?.message).toContain("check its base URL");
    server.models({ error: { status: 200, body: "<html>hello</html>" } });
    const html = await fresh().discover(target());
    expect(html.error?.code).toBe("provider_error");
    expect(html.error?.message).toContain("model list cairn cannot read");
  });
});
