import { describe, expect, it } from "vitest";
import {
  BUILTIN_PROVIDERS,
  baseUrlVariable,
  checkCustomProviders,
  findProvider,
  listProviderEntries,
  resolveModel,
} from "../../../actors/llm/index.ts";
import type { CairnError } from "../../../schemas/errors.ts";
import { collect, TEST_KEY, useLlmServer } from "./llm.helpers.ts";

/** The registry as the issue lists it: id → default base URL and key variable (null = no key). */
const EXPECTED: Record<string, [string, string | null]> = {
  openai: ["https://api.openai.com/v1", "OPENAI_API_KEY"],
  anthropic: ["https://api.anthropic.com", "ANTHROPIC_API_KEY"],
  openrouter: ["https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"],
  groq: ["https://api.groq.com/openai/v1", "GROQ_API_KEY"],
  mistral: ["https://api.mistral.ai/v1", "MISTRAL_API_KEY"],
  deepseek: ["https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"],
  together: ["https://api.together.xyz/v1", "TOGETHER_API_KEY"],
  fireworks: ["https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"],
  cerebras: ["https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"],
  xai: ["https://api.x.ai/v1", "XAI_API_KEY"],
  gemini: ["https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY"],
  ollama: ["http://127.0.0.1:11434/v1", null],
  lmstudio: ["http://127.0.0.1:1234/v1", null],
  venice: ["https://api.venice.ai/api/v1", "VENICE_API_KEY"],
  moonshot: ["https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"],
};

const COMPAT = BUILTIN_PROVIDERS.filter((p) => p.kind === "openai-compatible" || p.kind === "openai");

describe("provider registry", () => {
  it("has every provider of the issue with its default base URL and key variable", () => {
    const table = Object.fromEntries(BUILTIN_PROVIDERS.filter((p) => p.kind !== "local").map((p) => [p.id, [p.baseUrl, p.keyVariable]]));
    expect(table).toEqual(EXPECTED);
    expect(findProvider("local", {})).toMatchObject({ kind: "local", keyVariable: null, keyRequired: false });
    expect(findProvider("anthropic", {})?.kind).toBe("anthropic");
    expect(findProvider("groq", {})?.kind).toBe("openai-compatible");
    expect(findProvider("openai", {})?.kind).toBe("openai");
  });

  it("base URL: <ID>_BASE_URL wins over [providers.<id>] base_url, which wins over the default", () => {
    const config = { overrides: { groq: { base_url: "http://127.0.0.1:9/openai/v1" } } };
    expect(findProvider("groq", {}, config)).toMatchObject({ baseUrl: "http://127.0.0.1:9/openai/v1", baseUrlSource: "config" });
    expect(findProvider("groq", { GROQ_BASE_URL: "http://127.0.0.1:8/openai/v1" }, config)).toMatchObject({
      baseUrl: "http://127.0.0.1:8/openai/v1",
      baseUrlSource: "env",
    });
    expect(findProvider("groq", {})).toMatchObject({ baseUrl: EXPECTED.groq[0], baseUrlSource: "default" });
    // The settings' legacy fields still work for the two original providers.
    expect(findProvider("openai", {}, { openaiBaseUrl: "http://127.0.0.1:7/v1" })?.baseUrl).toBe("http://127.0.0.1:7/v1");
    expect(baseUrlVariable("my-vllm")).toBe("MY_VLLM_BASE_URL");
  });

  it("api_key_env renames the key variable; a key variable on ollama makes its key required", () => {
    expect(findProvider("openrouter", {}, { overrides: { openrouter: { api_key_env: "OR_KEY" } } })).toMatchObject({
      keyVariable: "OR_KEY",
      keyRequired: true,
    });
    expect(findProvider("ollama", {}, { overrides: { ollama: { api_key_env: "OLLAMA_PROXY_KEY" } } })?.keyRequired).toBe(true);
    expect(findProvider("ollama", {})?.keyRequired).toBe(false);
  });

  it("custom providers come after the built-ins, keyless unless api_key_env is set", () => {
    const config = {
      custom: [
        { name: "my-vllm", base_url: "http://127.0.0.1:8000/v1", models: ["qwen2.5-7b"] },
        { name: "corp", base_url: "https://llm.corp.example/v1", api_key_env: "CORP_LLM_KEY" },
      ],
    };
    const ids = listProviderEntries({}, config).map((e) => e.id);
    expect(ids.slice(-2)).toEqual(["my-vllm", "corp"]);
    expect(findProvider("my-vllm", {}, config)).toMatchObject({
      kind: "openai-compatible",
      custom: true,
      keyRequired: false,
      models: ["qwen2.5-7b"],
    });
    expect(findProvider("corp", {}, config)).toMatchObject({ keyVariable: "CORP_LLM_KEY", keyRequired: true });
    expect(findProvider("corp", { CORP_BASE_URL: "http://127.0.0.1:5/v1" }, config)?.baseUrl).toBe("http://127.0.0.1:5/v1");
  });

  it("refuses custom entries that shadow a built-in, repeat a name or have no http(s) URL", () => {
    const refuse = (custom: Array<{ name: string; base_url: string }>) => {
      try {
        checkCustomProviders(custom);
      } catch (e) {
        return (e as CairnError).message;
      }
      return null;
    };
    expect(refuse([{ name: "groq", base_url: "http://x/v1" }])).toMatch(/"groq" is a built-in provider; use \[providers\.groq\]/);
    expect(
      refuse([
        { name: "a", base_url: "http://x/v1" },
        { name: "a", base_url: "http://y/v1" },
      ]),
    ).toMatch(/used twice/);
    expect(refuse([{ name: "a", base_url: "ftp://x" }])).toMatch(/http\(s\) URL/);
    expect(refuse([{ name: "a", base_url: "http://127.0.0.1:8000/v1" }])).toBeNull();
  });
});

describe("every OpenAI-compatible provider streams through its own path convention, via the real openai SDK", () => {
  const server = useLlmServer();

  it.each(COMPAT.map((p) => [p.id, new URL(p.baseUrl).pathname.replace(/\/$/, ""), p.keyVariable] as const))(
    "%s at <server>%s",
    async (id, path, keyVariable) => {
      const env = { [baseUrlVariable(id)]: server.baseUrl(path), ...(keyVariable ? { [keyVariable]: TEST_KEY } : {}) };
      const r = resolveModel(`${id}/vendor/some-model:latest`, env);
      expect(r).toMatchObject({ providerId: id, model: "vendor/some-model:latest" });
      expect(r.provider.id).toBe(id);
      server.script({ chunks: [`hi from ${id}`], usage: { inputTokens: 3, outputTokens: 1 } });
      const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "x" }] }));
      expect(got.error).toBeNull();
      expect(got.text).toBe(`hi from ${id}`);
      const rec = server.requests.at(-1)!;
      expect(rec.path).toBe(`${path}/chat/completions`);
      expect(rec.body.model).toBe("vendor/some-model:latest");
      // Keyless servers (ollama, lmstudio) still get a placeholder: the SDK refuses an empty key.
      expect(rec.headers.authorization).toBe(`Bearer ${keyVariable ? TEST_KEY : "cairn-no-key"}`);
    },
  );

  it("errors name the provider they came from, and the variable to check", async () => {
    const env = { OPENROUTER_BASE_URL: server.baseUrl("/api/v1"), OPENROUTER_API_KEY: TEST_KEY };
    server.script({ error: { status: 401 } });
    const r = resolveModel("openrouter/openai/gpt-4o-mini", env);
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "x" }] }));
    expect(got.error?.code).toBe("provider_auth");
    expect(got.error?.message).toMatch(/^invalid API key for openrouter: check OPENROUTER_API_KEY/);
    expect(got.error?.details).toMatchObject({ provider: "openrouter", status: 401 });
  });

  it("a custom provider streams from its configured base URL with its configured key", async () => {
    const config = { custom: [{ name: "corp", base_url: server.baseUrl("/llm/v1"), api_key_env: "CORP_KEY" }] };
    const r = resolveModel("corp/big-model", { CORP_KEY: TEST_KEY }, config);
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "custom" }] }));
    expect(got.text).toBe("Echo: custom");
    expect(server.requests.at(-1)).toMatchObject({ path: "/llm/v1/chat/completions", headers: { authorization: `Bearer ${TEST_KEY}` } });
  });
});
