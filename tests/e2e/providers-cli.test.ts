import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import type { CairnError } from "../../schemas/index.ts";
import { connectToGateway } from "../../cli/connect.ts";
import { resolvePaths } from "../../cli/paths.ts";
import { BIN, type CliResult } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";

/**
 * `cairn providers` and `cairn models`, as a user runs them: real child processes, real files in
 * temporary config and data dirs, providers pointed at the scripted LLM server.
 */

const OR_KEY = "sk-or-v1-e2e-0123456789abcdef-K3Y9";

/** Runs `cairn <args>` with `input` piped to stdin (or nothing: stdin is then empty, not a TTY). */
function cairn(args: string[], env: NodeJS.ProcessEnv, input = ""): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The environment without anything of the developer's own (keys, base URLs, cairn dirs). */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("CAIRN_") || /_(API_KEY|BASE_URL)$/.test(k)) delete env[k];
  return env;
};

let llm: LlmServer;
const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `cairn-${name}-`));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  llm = await startLlmServer();
});
afterAll(async () => {
  await llm.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeEach(() => llm.reset());

describe("without a running gateway", () => {
  let env: NodeJS.ProcessEnv;
  let configDir: string;
  beforeEach(() => {
    configDir = tempDir("prov-cfg");
    env = {
      ...cleanEnv(),
      CAIRN_CONFIG_DIR: configDir,
      CAIRN_DATA_DIR: tempDir("prov-data"),
      OPENROUTER_BASE_URL: llm.baseUrl("/api/v1"),
      // Keyless local servers: point them at the fixture too, so nothing probes real ports.
      OLLAMA_BASE_URL: llm.baseUrl("/v1"),
      LMSTUDIO_BASE_URL: llm.baseUrl("/v1"),
    };
  });

  test("set-key openrouter reads the key from stdin; providers --json then shows it stored, by its last 4 only", async () => {
    const set = await cairn(["providers", "set-key", "openrouter"], env, `${OR_KEY}\n`);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("stored the openrouter key (…K3Y9)");
    expect(set.stdout).not.toContain(OR_KEY);
    const file = join(configDir, "provider_keys.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8")).openrouter.apiKey).toBe(OR_KEY);

    llm.models({ models: [{ id: "openai/gpt-4o-mini", context_length: 128000 }, "meta-llama/llama-3.3-70b-instruct"] });
    const r = await cairn(["providers", "--json"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(OR_KEY);
    expect(r.stdout).not.toContain(OR_KEY.slice(0, 20));
    const openrouter = JSON.parse(r.stdout).providers.find((p: { id: string }) => p.id === "openrouter");
    expect(openrouter).toMatchObject({ key: { source: "stored", last4: "K3Y9", required: true }, reachable: true, models: 2, error: null });
    // The stored key is what discovery sent.
    expect(llm.listRequests.find((q) => q.path === "/api/v1/models")?.headers.authorization).toBe(`Bearer ${OR_KEY}`);

    const table = await cairn(["providers"], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^openrouter\s+stored …K3Y9\s+yes\s+2\s/m);
    expect(table.stdout).toMatch(/^groq\s+missing\s+-\s+0\s+set GROQ_API_KEY or run 'cairn providers set-key groq'/m);
    expect(table.stdout).not.toContain(OR_KEY);
  });

  test("set-key refuses a key given on the command line, and says why, without repeating it", async () => {
    for (const args of [
      ["providers", "set-key", "openrouter", OR_KEY],
      ["providers", "set-key", "openrouter", `--${OR_KEY}`],
    ]) {
      const r = await cairn(args, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/never taken from the command line, where shell history and the process list would keep it/);
      expect(r.stderr + r.stdout).not.toContain(OR_KEY);
    }
    expect(existsSync(join(configDir, "provider_keys.json"))).toBe(false);
  });

  test("set-key fails clearly with nothing on stdin, for an unknown provider, and for local", async () => {
    const empty = await cairn(["providers", "set-key", "groq"], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no API key for \S+ on stdin: pipe it in/);
    const unknown = await cairn(["providers", "set-key", "nosuch"], env, OR_KEY);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown provider "nosuch".*\[model_unknown\]/);
    const local = await cairn(["providers", "set-key", "local"], env, OR_KEY);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/local models need no key/);
    const spaced = await cairn(["providers", "set-key", "groq"], env, "gsk_one two\n");
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toMatch(/contains spaces, line breaks/);
    expect(spaced.stderr).not.toContain("gsk_one");
  });

  test("models --json lists the models with provider, context window and capabilities", async () => {
    writeFileSync(
      join(configDir, "cairn.toml"),
      [
        "[agent]",
        'model = "groq/llama-3.3-70b-versatile"',
        "[providers]",
        'fallback = ["corp/big-model"]',
        "[[providers.custom]]",
        'name = "corp"',
        `base_url = "${llm.baseUrl("/corp/v1")}"`,
        'api_key_env = "CORP_KEY"',
        'models = ["big-model"]',
      ].join("\n"),
    );
    llm.models({ models: ["llama-3.3-70b-versatile", "gpt-4o-mini", { id: "mystery-model", context_window: 32768 }, "whisper-large-v3"] });
    const menv = { ...env, GROQ_API_KEY: "gsk_e2e_0123456789", GROQ_BASE_URL: llm.baseUrl("/openai/v1"), CORP_KEY: "corp-key-0123456789" };
    const r = await cairn(["models", "--json"], menv);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { models: Array<Record<string, unknown>>; defaultModel: string };
    expect(out.defaultModel).toBe("groq/llama-3.3-70b-versatile");
    const by = Object.fromEntries(out.models.map((m) => [m.id, m]));
    expect(by["groq/llama-3.3-70b-versatile"]).toEqual({
      id: "groq/llama-3.3-70b-versatile",
      provider: "groq",
      contextWindow: 131072,
      tools: true,
      vision: false,
      enabled: true,
    });
    expect(by["groq/gpt-4o-mini"]).toEqual({
      id: "groq/gpt-4o-mini",
      provider: "groq",
      contextWindow: 128000,
      tools: true,
      vision: true,
      enabled: false,
    });
    expect(by["groq/mystery-model"]).toMatchObject({ contextWindow: 32768, tools: null, vision: null });
    expect(by["corp/big-model"]).toMatchObject({ provider: "corp", enabled: true });
    expect(by["groq/whisper-large-v3"]).toBeUndefined(); // not a chat model

    const groq = await cairn(["models", "--provider", "groq"], menv);
    expect(groq.code).toBe(0);
    expect(groq.stdout).toMatch(/^MODEL\s+PROVIDER\s+CONTEXT\s+TOOLS\s+VISION\s+ENABLED$/m);
    expect(groq.stdout).toMatch(/^groq\/llama-3\.3-70b-versatile \(default\)\s+groq\s+131k\s+yes\s+no\s+yes$/m);
    expect(groq.stdout).toMatch(/^groq\/mystery-model\s+groq\s+33k\s+\?\s+\?$/m);
    expect(groq.stdout).not.toContain("corp/");

    // The lists were cached on disk: a second listing asks nobody.
    const asked = llm.listRequests.length;
    expect((await cairn(["models", "--json"], menv)).code).toBe(0);
    expect(llm.listRequests.length).toBe(asked);
    expect((await cairn(["models", "--json", "--refresh"], menv)).code).toBe(0);
    expect(llm.listRequests.length).toBeGreaterThan(asked);

    const bad = await cairn(["models", "--provider", "nosuch"], menv);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown provider 'nosuch' for --provider; known: openai, anthropic/);
  });

  test("CAIRN_MODEL may name a provider alone (its models are then listed); other bare names are refused", async () => {
    llm.models({ models: ["llama-3.3-70b-versatile"] });
    const genv = { ...env, GROQ_API_KEY: "gsk_e2e_0123456789", GROQ_BASE_URL: llm.baseUrl("/openai/v1") };
    const r = await cairn(["models", "--json", "--provider", "groq"], { ...genv, CAIRN_MODEL: "groq" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      models: [{ id: "groq/llama-3.3-70b-versatile", provider: "groq", contextWindow: 131072, tools: true, vision: false, enabled: false }],
      defaultModel: null,
    });
    const bad = await cairn(["models"], { ...genv, CAIRN_MODEL: "gpt-4o" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/provider\/model/);
  });

  test("a config naming a custom provider after a built-in is refused at once (exit 2)", async () => {
    writeFileSync(join(configDir, "cairn.toml"), '[[providers.custom]]\nname = "groq"\nbase_url = "http://127.0.0.1:1/v1"\n');
    const r = await cairn(["models"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"groq" is a built-in provider; use \[providers\.groq\]/);
  });
});

describe("help", () => {
  test.each([[["providers", "--help"]], [["providers", "set-key", "--help"]], [["models", "--help"]], [["--help"]]])(
    "cairn %s",
    async (args) => {
      const r = await cairn(args, cleanEnv());
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: cairn/);
      if (args[0] !== "--help") expect(r.stdout).toMatch(args[0] === "models" ? /--provider <id>/ : /never from the command line/);
      else expect(r.stdout).toMatch(/providers \[set-key\]/);
    },
  );
});

/** The real gateway (`cairn gateway`, port 0) with its own environment. */
async function startProviderHost(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, "gateway"], { env: { ...env, CAIRN_PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      if (l.includes("web UI")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`gateway exited early (${code})`)));
  });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

describe("with a running gateway", () => {
  let host: Awaited<ReturnType<typeof startProviderHost>>;
  let cliEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const shared = { ...cleanEnv(), CAIRN_CONFIG_DIR: tempDir("gw-cfg"), CAIRN_DATA_DIR: tempDir("gw-data") };
    // Only the gateway's environment holds the Groq key and the local endpoints.
    host = await startProviderHost({
      ...shared,
      CAIRN_MODEL: "groq/llama-3.3-70b-versatile",
      GROQ_API_KEY: "gsk_gateway_env_key_0123456789",
      GROQ_BASE_URL: llm.baseUrl("/openai/v1"),
      OPENROUTER_BASE_URL: llm.baseUrl("/api/v1"),
      VENICE_BASE_URL: llm.baseUrl("/api/v1"),
      OLLAMA_BASE_URL: llm.baseUrl("/v1"),
      LMSTUDIO_BASE_URL: llm.baseUrl("/v1"),
    });
    cliEnv = shared;
  });
  afterAll(async () => {
    await host?.stop();
  });

  test("models --json answers from the gateway, which has keys this shell does not", async () => {
    llm.models({ models: ["llama-3.3-70b-versatile", "llama-3.1-8b-instant"] });
    const r = await cairn(["models", "--json"], cliEnv);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.defaultModel).toBe("groq/llama-3.3-70b-versatile");
    expect(out.models.filter((m: { provider: string }) => m.provider === "groq").map((m: { id: string }) => m.id)).toEqual([
      "groq/llama-3.1-8b-instant",
      "groq/llama-3.3-70b-versatile",
    ]);
    expect(out.models.find((m: { id: string }) => m.id === "groq/llama-3.1-8b-instant")).toMatchObject({
      contextWindow: 131072,
      tools: true,
    });
  });

  test("a key set with the CLI is used by the running gateway without a restart", async () => {
    llm.models({ models: ["openai/gpt-4o-mini"] });
    const before = JSON.parse((await cairn(["providers", "--json"], cliEnv)).stdout).providers.find(
      (p: { id: string }) => p.id === "openrouter",
    );
    expect(before).toMatchObject({ key: { source: "none" }, reachable: null });
    const groq = JSON.parse((await cairn(["providers", "--json"], cliEnv)).stdout).providers.find((p: { id: string }) => p.id === "groq");
    expect(groq).toMatchObject({ key: { source: "env", last4: "6789" }, reachable: true });

    expect((await cairn(["providers", "set-key", "openrouter"], cliEnv, OR_KEY)).code).toBe(0);
    const r = await cairn(["providers", "--json", "--refresh"], cliEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(OR_KEY);
    expect(r.stdout).not.toContain("gsk_gateway_env_key");
    const after = JSON.parse(r.stdout).providers.find((p: { id: string }) => p.id === "openrouter");
    expect(after).toMatchObject({ key: { source: "stored", last4: "K3Y9" }, reachable: true, models: 1 });
  });

  test("the admin services: set_key answers the provider's status (never the key), models.enable records the picker's models", async () => {
    const paths = resolvePaths(cliEnv);
    const nc = await connectToGateway(paths);
    try {
      const venice = "venice-key-0123456789-abcd-V3N1";
      llm.models({ models: ["llama-3.3-70b", "qwen3-235b"] });
      const status = await request(nc, subjects.admin("providers", "set_key"), { provider: "venice", key: venice }, { timeoutMs: 20_000 });
      expect(status).toMatchObject({
        id: "venice",
        key: { source: "stored", last4: "V3N1", required: true },
        reachable: true,
        models: 2,
        error: null,
      });
      expect(JSON.stringify(status)).not.toContain(venice);
      // A refused value is not quoted back, even when the decoder would.
      const tooLong = `sk-${"x".repeat(5000)}`;
      const err = (await request(nc, subjects.admin("providers", "set_key"), { provider: "venice", key: tooLong }).catch(
        (e: CairnError) => e,
      )) as CairnError;
      expect(err.code).toBe("bad_request");
      expect(err.message).not.toContain("xxxxxxxxxx");
      const local = (await request(nc, subjects.admin("providers", "set_key"), { provider: "local", key: venice }).catch(
        (e: CairnError) => e,
      )) as CairnError;
      expect(local.code).toBe("bad_request");

      const enabled = await request(nc, subjects.admin("models", "enable"), { provider: "venice", models: ["venice/qwen3-235b"] });
      expect(enabled).toEqual({ provider: "venice", models: ["venice/qwen3-235b"] });
      // A setting is an event in the log (invariant 1), not a file.
      const events = (await cairn(["events", "tail", "--json", "--kind", "settings"], cliEnv)).stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(events.at(-1)).toMatchObject({
        type: "settings.models_enabled",
        id: "global",
        data: { provider: "venice", models: ["venice/qwen3-235b"] },
      });
      const list = (await request(nc, subjects.query("models", "list"), {})) as { models: Array<{ id: string; enabled: boolean }> };
      expect(list.models.find((m) => m.id === "venice/qwen3-235b")?.enabled).toBe(true);
      expect(list.models.find((m) => m.id === "venice/llama-3.3-70b")?.enabled).toBe(false);
      const foreign = (await request(nc, subjects.admin("models", "enable"), { provider: "venice", models: ["groq/x"] }).catch(
        (e: CairnError) => e,
      )) as CairnError;
      expect(foreign).toMatchObject({ code: "bad_request" });
      expect(foreign.message).toContain("must start with 'venice/'");
      const bad = (await request(nc, subjects.query("models", "list"), { refresh: "yes" }).catch((e: CairnError) => e)) as CairnError;
      expect(bad.code).toBe("bad_request");
    } finally {
      await nc.close();
    }
  });
});
