import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  describeModelSetup,
  KeyStore,
  listModelInfo,
  listProviderStatus,
  ModelDiscovery,
  providerKeysFile,
  registerLocalProvider,
  resolveModel,
  suggestModels,
  type ModelConfig,
} from "../../../actors/llm/index.ts";
import { CairnError } from "../../../schemas/errors.ts";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { closedPort, TEST_KEY } from "./llm.helpers.ts";

describe("provider status and model listing", () => {
  let server: LlmServer;
  let dir: string;
  let deadPort: number;
  beforeAll(async () => {
    server = await startLlmServer();
    dir = mkdtempSync(join(tmpdir(), "cairn-status-"));
    deadPort = await closedPort();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => server.reset());

  /** Groq at the fixture with an env key; OpenRouter with a stored key; ollama/lmstudio on a dead port. */
  const setup = (): { env: Record<string, string>; config: ModelConfig } => {
    const keys = new KeyStore(providerKeysFile(mkdtempSync(join(dir, "cfg-"))));
    keys.set("openrouter", "sk-or-v1-stored-key-0123456789-LAST");
    return {
      env: {
        GROQ_API_KEY: TEST_KEY,
        GROQ_BASE_URL: server.baseUrl("/openai/v1"),
        OPENROUTER_BASE_URL: server.baseUrl("/api/v1"),
        OLLAMA_BASE_URL: `http://127.0.0.1:${deadPort}/v1`,
        LMSTUDIO_BASE_URL: `http://127.0.0.1:${deadPort}/v1`,
      },
      config: { keys, discovery: new ModelDiscovery({ cacheFile: null }), overrides: { mistral: { models: ["mistral-large-latest"] } } },
    };
  };

  it("lists every provider: key source and last 4, reachability, model count; never a key", async () => {
    server.models({ models: ["llama-3.3-70b-versatile", { id: "openai/gpt-4o-mini", context_length: 128000 }] });
    const { env, config } = setup();
    const all = await listProviderStatus(env, config);
    const by = Object.fromEntries(all.map((p) => [p.id, p]));
    expect(all.map((p) => p.id).slice(0, 3)).toEqual(["openai", "anthropic", "openrouter"]);
    expect(by.groq).toMatchObject({
      kind: "openai-compatible",
      keyVariable: "GROQ_API_KEY",
      key: { source: "env", last4: TEST_KEY.slice(-4), required: true },
      reachable: true,
      models: 2,
      error: null,
    });
    expect(by.openrouter).toMatchObject({ key: { source: "stored", last4: "LAST", required: true }, reachable: true, models: 2 });
    expect(by.openai).toMatchObject({ key: { source: "none", last4: null, required: true }, reachable: null, models: 0, error: null });
    expect(by.mistral).toMatchObject({ reachable: null, models: 1 }); // configured models count, no key: not asked
    expect(by.ollama).toMatchObject({
      key: { source: "none", required: false },
      reachable: false,
      error: { code: "provider_unreachable" },
    });
    expect(by.local.kind).toBe("local");
    const json = JSON.stringify(all);
    expect(json).not.toContain(TEST_KEY);
    expect(json).not.toContain("sk-or-v1-stored-key");
    // Only the providers that could answer were asked.
    expect(server.listRequests.map((r) => r.path).sort()).toEqual(["/api/v1/models", "/openai/v1/models"]);
  });

  it("lists the models of usable providers with catalogue and discovered facts, and marks the enabled ones", async () => {
    server.models({ models: ["llama-3.3-70b-versatile", "gpt-4o-mini", { id: "mystery-7b", context_length: 8192 }] });
    const { env, config } = setup();
    const models = await listModelInfo(env, config, {
      defaultModel: "groq/gpt-4o-mini",
      fallback: ["openai/gpt-4o"],
      enabled: new Set(["groq/mystery-7b"]),
    });
    const by = Object.fromEntries(models.map((m) => [m.id, m]));
    expect(by["groq/gpt-4o-mini"]).toEqual({
      id: "groq/gpt-4o-mini",
      provider: "groq",
      contextWindow: 128000,
      tools: true,
      vision: true,
      enabled: true,
    });
    expect(by["groq/mystery-7b"]).toEqual({
      id: "groq/mystery-7b",
      provider: "groq",
      contextWindow: 8192,
      tools: null,
      vision: null,
      enabled: true,
    });
    expect(by["groq/llama-3.3-70b-versatile"]).toMatchObject({ contextWindow: 131072, enabled: false });
    expect(by["openrouter/mystery-7b"]).toMatchObject({ enabled: false });
    // The fallback model is listed although OpenAI has no key here (choosing it explains what is missing).
    expect(by["openai/gpt-4o"]).toMatchObject({ provider: "openai", contextWindow: 128000, enabled: true });
    // No key, no listing: mistral's configured model is not offered.
    expect(models.some((m) => m.provider === "mistral")).toBe(false);
    const groqOnly = await listModelInfo(env, config, { provider: "groq" });
    expect(new Set(groqOnly.map((m) => m.provider))).toEqual(new Set(["groq"]));
    expect(groqOnly.map((m) => m.id)).toEqual(["groq/gpt-4o-mini", "groq/llama-3.3-70b-versatile", "groq/mystery-7b"]);
  });

  it("naming only a provider lists what it serves instead of failing blindly", async () => {
    server.models({ models: ["llama-3.3-70b-versatile", "llama-3.1-8b-instant"] });
    const { env, config } = setup();
    // Before discovery: the example and where to look.
    expect(describeModelSetup("groq", env, config)).toBe(
      `"groq" names a provider, not a model: write groq/<model>, e.g. groq/llama-3.3-70b-versatile; 'cairn models --provider groq' lists what it serves`,
    );
    expect(await suggestModels("groq", env, config)).toEqual(["groq/llama-3.3-70b-versatile", "groq/llama-3.1-8b-instant"]);
    let err: CairnError | undefined;
    try {
      resolveModel("groq/", env, config);
    } catch (e) {
      err = e as CairnError;
    }
    expect(err?.code).toBe("model_not_configured");
    expect(err?.message).toBe(
      `"groq" names a provider, not a model: Groq serves 2 models: groq/llama-3.3-70b-versatile, groq/llama-3.1-8b-instant; pick one, e.g. CAIRN_MODEL=groq/llama-3.3-70b-versatile`,
    );
    expect(err?.details).toEqual({ provider: "groq", models: ["groq/llama-3.3-70b-versatile", "groq/llama-3.1-8b-instant"] });
  });

  it("a long list is cut in the message and complete in `cairn models`", async () => {
    server.models({ models: Array.from({ length: 12 }, (_, i) => `m-${String(i).padStart(2, "0")}`) });
    const { env, config } = setup();
    await suggestModels("groq", env, config);
    expect(describeModelSetup("groq", env, config)).toMatch(
      /serves 12 models: groq\/m-00, .*groq\/m-07, and 4 more \('cairn models --provider groq' lists them\)/,
    );
  });

  it("local models resolve through the registered hook, without tools", async () => {
    const { env, config } = setup();
    try {
      expect(describeModelSetup("local/tiny.gguf", env, config)).toMatch(/local models are not available/);
      const provider = { id: "local", stream: async function* () {} };
      registerLocalProvider({
        resolve: (model) =>
          model === "tiny"
            ? provider
            : (() => {
                throw new CairnError("model_unknown", `no ${model}`);
              })(),
        check: (model) => (model === "tiny" ? null : `no GGUF file named ${model}`),
        listModels: async () => [{ id: "tiny", contextWindow: 2048, tools: null, vision: null }],
        location: () => "/models",
      });
      expect(resolveModel("local/tiny", env, config)).toMatchObject({ provider, providerId: "local", model: "tiny" });
      expect(describeModelSetup("local/other", env, config)).toBe("no GGUF file named other");
      const models = await listModelInfo(env, config, { provider: "local" });
      expect(models).toEqual([{ id: "local/tiny", provider: "local", contextWindow: 2048, tools: false, vision: null, enabled: false }]);
      const status = (await listProviderStatus(env, config)).find((p) => p.id === "local");
      expect(status).toMatchObject({
        baseUrl: "/models",
        models: 1,
        reachable: true,
        error: null,
        key: { source: "none", required: false },
      });
    } finally {
      registerLocalProvider(null);
    }
  });
});
