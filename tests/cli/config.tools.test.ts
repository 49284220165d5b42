/**
 * `cairn.toml` for the agent loop and its tools (`[agent]`, `[tools.exec]`, `[tools.exec.sandbox]`,
 * `[tools.web_fetch]`): what each key becomes in the gateway's settings, the errors a person gets
 * for a typo or a bad value, and what `enabled = false` does to a running gateway.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadSettings, parseMemoryMb } from "../../cli/config/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { startGatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-cfg-tools-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `toml` as the config file and loads the settings from it (no environment). */
const load = (toml: string) => {
  const file = join(dir, "cairn.toml");
  writeFileSync(file, toml);
  return loadSettings(file, {});
};

/** The error `load` throws, for asserting its code and message. */
const failure = (toml: string): CairnError => {
  try {
    load(toml);
  } catch (e) {
    return e as CairnError;
  }
  throw new Error(`expected the config to be refused:\n${toml}`);
};

describe("each new key decodes into the settings", () => {
  test("[agent] timeout and max_iterations bound the agent loop (timeout in seconds → ms)", () => {
    expect(load("[agent]\ntimeout = 90\nmax_iterations = 7\n").agentLoop).toEqual({ timeoutMs: 90_000, maxIterations: 7 });
    expect(load("[agent]\ntimeout = 2.5\n").agentLoop).toEqual({ timeoutMs: 2500 });
  });

  test("[tools.exec] and [tools.exec.sandbox] with resource limits", () => {
    const s = load(
      [
        "[tools.exec]",
        'approval_mode = "always"',
        'allowlist = ["git status", "ls *"]',
        "approval_timeout = 120",
        "[tools.exec.sandbox]",
        'backend = "bubblewrap"',
        'image = "cairn-sandbox:test"',
        "network = true",
        'workspace_mount = "ro"',
        "[tools.exec.sandbox.resource_limits]",
        'memory_limit = "1.5GiB"',
        "cpu_quota = 0.5",
        "pids_max = 64",
        'disk = "1g"',
        "",
      ].join("\n"),
    );
    expect(s.exec).toEqual({
      approvalMode: "always",
      allowlist: ["git status", "ls *"],
      approvalTimeoutMs: 120_000,
      sandbox: "bubblewrap",
      sandboxSettings: {
        image: "cairn-sandbox:test",
        network: true,
        workspaceMount: "ro",
        memoryMb: 1536,
        cpus: 0.5,
        pids: 64,
        diskBytes: 1024 ** 3,
      },
    });
  });

  test("[tools.web_fetch] (timeout in seconds → ms)", () => {
    const s = load(
      '[tools.web_fetch]\nallowlist = ["example.com", "*.example.org"]\nallow_private = ["10.0.0.0/8"]\nmax_bytes = 65536\ntimeout = 15\n',
    );
    expect(s.webFetch).toEqual({
      allowlist: ["example.com", "*.example.org"],
      allowPrivate: ["10.0.0.0/8"],
      maxBytes: 65536,
      timeoutMs: 15_000,
    });
  });

  test("with no file, exec is on (smart approvals, auto sandbox) and web_fetch is on with its defaults", () => {
    const s = loadSettings(join(dir, "absent.toml"), {});
    // Commands are bounded even when nothing is configured.
    expect(s.exec).toEqual({
      approvalMode: "smart",
      allowlist: [],
      sandbox: "auto",
      sandboxSettings: { memoryMb: 512, cpus: 1, pids: 256, diskBytes: 5 * 1024 ** 3 },
    });
    expect(s.webFetch).toEqual({});
    expect(s.agentLoop).toEqual({});
  });

  test("enabled = false turns exec and web_fetch off; enabled = true keeps them", () => {
    const off = load("[tools.exec]\nenabled = false\n[tools.web_fetch]\nenabled = false\n");
    expect(off.exec).toBeNull();
    expect(off.webFetch).toBeNull();
    const on = load("[tools.exec]\nenabled = true\n[tools.web_fetch]\nenabled = true\n");
    expect(on.exec).toMatchObject({ approvalMode: "smart", sandbox: "auto" });
    expect(on.webFetch).toEqual({});
  });
});

describe("mistakes are refused with the key they are about", () => {
  test("a typo under [tools.exec] names the nearest key, with its full path", () => {
    const e = failure('[tools.exec]\naproval_mode = "always"\n');
    expect(e).toBeInstanceOf(CairnError);
    expect(e.code).toBe("bad_request");
    expect(e.message).toContain(join(dir, "cairn.toml"));
    expect(e.message).toMatch(/unknown key 'tools\.exec\.aproval_mode'; did you mean 'tools\.exec\.approval_mode'\?/);
    expect(failure('[tools.exec.sandbox]\nbakend = "none"\n').message).toMatch(/did you mean 'tools\.exec\.sandbox\.backend'\?/);
    expect(failure('[tools.exec.sandbox.resource_limits]\nmemory_limt = "1G"\n').message).toMatch(
      /did you mean 'tools\.exec\.sandbox\.resource_limits\.memory_limit'\?/,
    );
    // Nothing close: the valid keys of that table are listed instead.
    expect(failure('[tools.exec.sandbox.resource_limits]\nram = "1G"\n').message).toMatch(
      /unknown key '[^']*\.ram'; valid keys here: memory_limit, cpu_quota, pids_max/,
    );
  });

  test('approval_mode = "sometimes" lists the allowed modes and names the key', () => {
    const e = failure('[tools.exec]\napproval_mode = "sometimes"\n');
    expect(e.code).toBe("bad_request");
    expect(e.message).toMatch(/"always" \| "smart" \| "never"/);
    expect(e.message).toMatch(/\["tools"\]\["exec"\]\["approval_mode"\]/);
  });

  test('memory_limit = "lots" says what a size looks like and names the key', () => {
    const e = failure('[tools.exec.sandbox.resource_limits]\nmemory_limit = "lots"\n');
    expect(e.code).toBe("bad_request");
    expect(e.message).toMatch(/a size such as "512M" or "2G"/);
    expect(e.message).toMatch(/\["resource_limits"\]\["memory_limit"\]/);
  });

  test("timeout = 0 is refused for [agent] and [tools.web_fetch], each naming its key and range", () => {
    const agent = failure("[agent]\ntimeout = 0\n");
    expect(agent.message).toMatch(/between 1 and 86400/);
    expect(agent.message).toMatch(/\["agent"\]\["timeout"\]/);
    const web = failure("[tools.web_fetch]\ntimeout = 0\n");
    expect(web.message).toMatch(/between 1 and 600/);
    expect(web.message).toMatch(/\["tools"\]\["web_fetch"\]\["timeout"\]/);
  });

  test("an unknown backend, a fractional max_iterations and a sandbox written as a value are refused", () => {
    expect(failure('[tools.exec.sandbox]\nbackend = "podman"\n').message).toMatch(
      /"auto" \| "docker" \| "bubblewrap" \| "none"[\s\S]*\["backend"\]/,
    );
    expect(failure("[agent]\nmax_iterations = 2.5\n").message).toMatch(/integer[\s\S]*\["agent"\]\["max_iterations"\]/);
    expect(failure('[tools.exec]\nsandbox = "none"\n').message).toMatch(
      /'tools\.exec\.sandbox' must be a table \(\[tools\.exec\.sandbox\]\)/,
    );
  });
});

describe("parseMemoryMb", () => {
  test.each([
    ["512M", 512],
    ["2G", 2048],
    ["1.5GiB", 1536],
    ["256MB", 256],
    ["2g", 2048],
    [256, 256],
    ["512", 512],
    ["8388608B", 8],
  ] as const)("%s → %i MiB", (given, mb) => {
    expect(parseMemoryMb(given)).toBe(mb);
  });

  test("a word or a size too small for any command is refused", () => {
    expect(() => parseMemoryMb("lots")).toThrow(/'lots' is not a size such as "512M" or "2G"/);
    expect(() => parseMemoryMb("1M")).toThrow(/below 4 MiB/);
  });
});

describe("enabled = false on a running gateway", () => {
  let llm: LlmServer;
  let cfg: string;
  beforeAll(async () => {
    llm = await startLlmServer();
    cfg = mkdtempSync(join(tmpdir(), "cairn-cfg-off-"));
  });
  afterAll(async () => {
    await llm?.close();
    rmSync(cfg, { recursive: true, force: true });
  });

  test("the banner says exec is off, no approvals line, and the model is offered neither exec nor web_fetch", async () => {
    writeFileSync(join(cfg, "cairn.toml"), "[tools.exec]\nenabled = false\n[tools.web_fetch]\nenabled = false\n");
    const gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: cfg } });
    try {
      expect(gw.output()).toMatch(/^ {2}sandbox {4}exec is off \(\[tools\.exec\] enabled = false\)$/m);
      expect(gw.output()).not.toMatch(/^ {2}approvals/m);
      llm.script({ chunks: ["no shell today"] });
      const r = await gw.cli(["chat", "-s", "off-1", "run ls"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("no shell today\n");
      const offered = (llm.requests.at(-1)!.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name);
      // The other tools stay: only the two that were switched off are gone.
      expect(offered).toContain("write_file");
      expect(offered).not.toContain("exec");
      expect(offered).not.toContain("web_fetch");
    } finally {
      await gw.dispose();
    }
  });
});
