import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnError } from "../../../schemas/errors.ts";
import { describeModelSetup, NO_MODEL_HINT, resolveModel } from "../../../actors/llm/index.ts";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { collect, TEST_KEY } from "./llm.helpers.ts";

const thrown = (f: () => unknown): CairnError => {
  try {
    f();
  } catch (e) {
    if (e instanceof CairnError) return e;
    throw e;
  }
  throw new Error("expected a CairnError");
};

describe("resolveModel", () => {
  it("no model id is model_not_configured with a hint that says exactly what to set", () => {
    for (const id of [undefined, null, "", "  "]) {
      const e = thrown(() => resolveModel(id, { OPENAI_API_KEY: "k" }));
      expect(e.code).toBe("model_not_configured");
      expect(e.message).toBe(NO_MODEL_HINT);
    }
    expect(NO_MODEL_HINT).toContain("CAIRN_MODEL=openai/gpt-4o-mini with OPENAI_API_KEY");
    expect(NO_MODEL_HINT).toContain("CAIRN_MODEL=anthropic/claude-sonnet-4-6 with ANTHROPIC_API_KEY");
    expect(NO_MODEL_HINT).toContain("[agent] model in ~/.config/cairn/cairn.toml");
  });

  it("an unknown provider prefix is model_unknown, listing the known ones (custom ones too)", () => {
    const e = thrown(() =>
      resolveModel("nosuch/large", { OPENAI_API_KEY: "k" }, { custom: [{ name: "my-vllm", base_url: "http://127.0.0.1:9/v1" }] }),
    );
    expect(e.code).toBe("model_unknown");
    expect(e.message).toContain('"nosuch"');
    expect(e.message).toContain(
      "openai, anthropic, openrouter, groq, mistral, deepseek, together, fireworks, cerebras, xai, gemini, ollama, lmstudio, venice, moonshot, local, my-vllm",
    );
    expect(e.details).toMatchObject({ knownProviders: expect.arrayContaining(["groq", "my-vllm"]) });
  });

  it("an id without a provider is model_unknown, guessing the provider when it can", () => {
    const e = thrown(() => resolveModel("gpt-4o", {}));
    expect(e.code).toBe("model_unknown");
    expect(e.message).toContain("did you mean openai/gpt-4o?");
    expect(thrown(() => resolveModel("claude-sonnet-4-6", {})).message).toContain("anthropic/claude-sonnet-4-6");
    expect(thrown(() => resolveModel("grok-4", {})).message).toContain("did you mean xai/grok-4?");
    expect(thrown(() => resolveModel("/gpt-4o", {})).code).toBe("model_unknown");
  });

  it("a missing key is model_not_configured, naming the variable and set-key", () => {
    const g = thrown(() => resolveModel("groq/llama-3.3-70b-versatile", {}));
    expect(g.code).toBe("model_not_configured");
    expect(g.message).toBe(
      "model groq/llama-3.3-70b-versatile needs GROQ_API_KEY: set it in the gateway's environment or run 'cairn providers set-key groq'",
    );
    expect(g.details).toMatchObject({ missing: "GROQ_API_KEY", provider: "groq" });
    const o = thrown(() => resolveModel("openai/gpt-4o-mini", { ANTHROPIC_API_KEY: "k", OPENAI_API_KEY: "" }));
    expect(o.code).toBe("model_not_configured");
    expect(o.message).toContain("OPENAI_API_KEY");
    const a = thrown(() => resolveModel("anthropic/claude-sonnet-4-6", { OPENAI_API_KEY: "k" }));
    expect(a.code).toBe("model_not_configured");
    expect(a.message).toContain("ANTHROPIC_API_KEY");
    expect(a.details).toMatchObject({ missing: "ANTHROPIC_API_KEY" });
  });

  it("splits at the first slash only, so served names may contain slashes", () => {
    const r = resolveModel("openai/meta-llama/Llama-3.1-8B", { OPENAI_API_KEY: "k" });
    expect(r).toMatchObject({ providerId: "openai", model: "meta-llama/Llama-3.1-8B", modelId: "openai/meta-llama/Llama-3.1-8B" });
  });

  it("caches one provider per (provider, base URL, key)", () => {
    const env = { OPENAI_API_KEY: "k1" };
    const a = resolveModel("openai/gpt-4o-mini", env).provider;
    expect(resolveModel("openai/gpt-4o", env).provider).toBe(a);
    expect(resolveModel("openai/gpt-4o", { OPENAI_API_KEY: "k2" }).provider).not.toBe(a);
    expect(resolveModel("openai/gpt-4o", { ...env, OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }).provider).not.toBe(a);
    expect(resolveModel("openai/gpt-4o", env, { openaiBaseUrl: "http://127.0.0.1:9/v1" }).provider).not.toBe(a);
  });
});

describe("describeModelSetup", () => {
  it("is null when ready, else the same hint resolveModel would throw", () => {
    expect(describeModelSetup("anthropic/claude-sonnet-4-6", { ANTHROPIC_API_KEY: "k" })).toBeNull();
    expect(describeModelSetup(undefined, {})).toBe(NO_MODEL_HINT);
    expect(describeModelSetup("openai/gpt-4o-mini", {})).toContain("OPENAI_API_KEY");
    expect(describeModelSetup("foo/bar", {})).toContain("known providers are openai, anthropic");
    // Providers that need no key are ready as they are.
    expect(describeModelSetup("ollama/llama3.2", {})).toBeNull();
    expect(describeModelSetup("lmstudio/qwen2.5-7b-instruct", {})).toBeNull();
  });
});

describe("resolved providers stream from the configured base URL", () => {
  let server: LlmServer;
  beforeAll(async () => {
    server = await startLlmServer({ apiKey: TEST_KEY });
  });
  afterAll(async () => {
    await server.close();
  });

  it("env base URLs win over config ones", async () => {
    const env = { OPENAI_API_KEY: TEST_KEY, OPENAI_BASE_URL: server.openaiBaseUrl };
    const r = resolveModel("openai/gpt-4o-mini", env, { openaiBaseUrl: "http://127.0.0.1:9/v1" });
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "ping" }] }));
    expect(got.text).toBe("Echo: ping");
    expect(server.requests.at(-1)?.body.model).toBe("gpt-4o-mini");
  });

  it("config base URLs apply when the env has none", async () => {
    const r = resolveModel("anthropic/claude-sonnet-4-6", { ANTHROPIC_API_KEY: TEST_KEY }, { anthropicBaseUrl: server.anthropicBaseUrl });
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "pong" }] }));
    expect(got.text).toBe("Echo: pong");
    expect(got.done?.finishReason).toBe("stop");
  });

  it("a wrong key through resolveModel names the variable that holds it", async () => {
    const r = resolveModel("openai/gpt-4o-mini", { OPENAI_API_KEY: "sk-not-the-right-one-123", OPENAI_BASE_URL: server.openaiBaseUrl });
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "x" }] }));
    expect(got.error?.code).toBe("provider_auth");
    expect(got.error?.message).toContain("check OPENAI_API_KEY");
    expect(got.error?.message).not.toContain("sk-not-the-right-one-123");
  });
});
