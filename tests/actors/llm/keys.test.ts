import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeyStore, last4, lookupKey, providerKeysFile, providerStatus, resolveModel } from "../../../actors/llm/index.ts";
import { CairnError } from "../../../schemas/errors.ts";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { collect, TEST_KEY } from "./llm.helpers.ts";

const STORED = "sk-or-v1-stored-0123456789abcdefWXYZ";

describe("stored provider keys (provider_keys.json)", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cairn-keys-"));
    file = providerKeysFile(join(dir, "config"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the file with mode 0600, atomically (no temporary file left), in the shape {provider: {apiKey}}", () => {
    const store = new KeyStore(file, () => 1234);
    store.set("openrouter", `  ${STORED}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, "config"))).toEqual(["provider_keys.json"]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ openrouter: { apiKey: STORED, updatedAt: 1234 } });
    store.set("groq", "gsk_0123456789abcdef");
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["openrouter", "groq"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("rewrites a hand-made file that others could read as 0600", () => {
    const store = new KeyStore(file);
    store.set("groq", "gsk_first_key_0123456789");
    chmodSync(file, 0o644);
    store.set("groq", "gsk_second_key_0123456789");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("re-reads the file when it changes, so a key written by another process is used at once", () => {
    const gateway = new KeyStore(file);
    expect(gateway.get("openrouter")).toBeUndefined();
    new KeyStore(file).set("openrouter", STORED); // the CLI, in another process
    expect(gateway.get("openrouter")).toBe(STORED);
    new KeyStore(file).set("openrouter", "sk-or-v1-replaced-0123456789abcd");
    expect(gateway.get("openrouter")).toBe("sk-or-v1-replaced-0123456789abcd");
    expect(new KeyStore(file).remove("openrouter")).toBe(true);
    expect(gateway.get("openrouter")).toBeUndefined();
  });

  it("the environment variable wins over the stored key", () => {
    const store = new KeyStore(file);
    store.set("openrouter", STORED);
    const entry = { id: "openrouter", keyVariable: "OPENROUTER_API_KEY" };
    expect(lookupKey(entry, { OPENROUTER_API_KEY: "sk-or-from-env-0000000000" }, store)).toEqual({
      key: "sk-or-from-env-0000000000",
      source: "env",
    });
    expect(lookupKey(entry, { OPENROUTER_API_KEY: "  " }, store)).toEqual({ key: STORED, source: "stored" });
    expect(lookupKey(entry, {}, undefined)).toEqual({ key: null, source: "none" });
  });

  it("a broken file is a clear error that never quotes its content", () => {
    writeFileSync(join(dir, "provider_keys.json"), `{"openrouter": {"apiKey": "${STORED}"`);
    const store = new KeyStore(join(dir, "provider_keys.json"));
    let err: unknown;
    try {
      store.get("openrouter");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CairnError);
    expect((err as CairnError).message).toMatch(/is not valid JSON/);
    expect((err as CairnError).message).not.toContain(STORED);
    writeFileSync(join(dir, "provider_keys.json"), JSON.stringify({ openrouter: STORED }));
    expect(() => store.get("openrouter")).toThrow(/must map provider ids/);
  });

  it("status shows where the key comes from and its last 4 characters, never the key", async () => {
    const store = new KeyStore(file);
    store.set("openrouter", STORED);
    const status = await providerStatus("openrouter", {}, { keys: store });
    expect(status?.key).toEqual({ source: "stored", last4: "WXYZ", required: true });
    expect(JSON.stringify(status)).not.toContain(STORED);
    expect(JSON.stringify(status)).not.toContain(STORED.slice(0, -4));
    const fromEnv = await providerStatus("openrouter", { OPENROUTER_API_KEY: "sk-or-env-key-abcdefgh1234" }, { keys: store });
    expect(fromEnv?.key).toEqual({ source: "env", last4: "1234", required: true });
    expect(last4("short")).toBeNull();
  });
});

describe("a key stored while the gateway runs", () => {
  let server: LlmServer;
  let dir: string;
  beforeAll(async () => {
    server = await startLlmServer({ apiKey: STORED });
    dir = mkdtempSync(join(tmpdir(), "cairn-keys-live-"));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is used by the next resolve without a restart; the env key still wins", async () => {
    const keys = new KeyStore(providerKeysFile(dir));
    const env = { OPENROUTER_BASE_URL: server.baseUrl("/api/v1") };
    const config = { keys };
    expect(() => resolveModel("openrouter/openai/gpt-4o-mini", env, config)).toThrow(/needs OPENROUTER_API_KEY/);

    new KeyStore(providerKeysFile(dir)).set("openrouter", STORED); // `cairn providers set-key`, elsewhere
    const r = resolveModel("openrouter/openai/gpt-4o-mini", env, config);
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "stored" }] }));
    expect(got.text).toBe("Echo: stored");
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${STORED}`);

    // A wrong key in the environment is used (and refused) even though a good one is stored.
    const wrong = resolveModel("openrouter/openai/gpt-4o-mini", { ...env, OPENROUTER_API_KEY: TEST_KEY }, config);
    const refused = await collect(wrong.provider.stream({ model: wrong.model, messages: [{ role: "user", text: "x" }] }));
    expect(refused.error?.code).toBe("provider_auth");
    expect(refused.error?.message).toContain("check OPENROUTER_API_KEY");
  });

  it("a refused stored key points at set-key, not at a variable the user never set", async () => {
    const keys = new KeyStore(providerKeysFile(join(dir, "other")));
    keys.set("groq", "gsk_wrong_stored_key_0123456789");
    const r = resolveModel("groq/llama-3.3-70b-versatile", { GROQ_BASE_URL: server.baseUrl("/openai/v1") }, { keys });
    const got = await collect(r.provider.stream({ model: r.model, messages: [{ role: "user", text: "x" }] }));
    expect(got.error?.code).toBe("provider_auth");
    expect(got.error?.message).toContain("check the key stored with 'cairn providers set-key groq'");
    expect(got.error?.message).not.toContain("gsk_wrong_stored_key_0123456789");
  });
});
