import { describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLines, runCli, startGatewayProc, useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();

describe("cairn chat", () => {
  test("streams the reply to stdout and exits 0; the session is created if new", async () => {
    llm.script({ chunks: ["Hello ", "from ", "the model."] });
    const r = await gw.cli(["chat", "--session", "cli-1", "hi there"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the model.\n");
  });

  test("--json prints deltas and a result object", async () => {
    llm.script({ chunks: ["a", "b"] });
    const r = await gw.cli(["chat", "-s", "cli-json", "--json", "x"]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(
      lines
        .filter((l) => l.type === "delta")
        .map((l) => l.text)
        .join(""),
    ).toBe("ab");
    expect(lines.at(-1)).toMatchObject({ type: "result", status: "completed", error: null });
  });

  test("a provider failure exits 1 with a one-line reason", async () => {
    llm.script({ error: { status: 401 } });
    const r = await gw.cli(["chat", "--session", "cli-2", "hi"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/provider_auth/);
    expect(r.stderr).not.toMatch(/sk-test-key/);
  });

  test("an unknown model exits 1 naming the problem", async () => {
    const other = await startGatewayProc({ llmBaseUrl: llm.url, model: "nosuch/model-x" });
    try {
      const r = await other.cli(["chat", "hi"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/model_unknown/);
    } finally {
      await other.dispose();
    }
  });

  test("exits 1 with a clear reason when no gateway is running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-none-"));
    try {
      const r = await runCli(["chat", "hi"], { ...process.env, CAIRN_DATA_DIR: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not running.*npm start/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a bad session key is a usage error (exit 2)", async () => {
    const r = await gw.cli(["chat", "--session", "a.b>", "hi"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--session/);
  });
});

describe("cairn events tail", () => {
  test("prints one line per event, and --json objects with seq, type, kind, id, time, data", async () => {
    llm.script({ chunks: ["ok"] });
    expect((await gw.cli(["chat", "-s", "ev-1", "tail me"])).code).toBe(0);
    const text = await gw.cli(["events", "tail", "-n", "5"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/session\/ev-1\s+session\.run_ended/);
    const json = jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "session", "-n", "1000"])).stdout);
    const mine = json.filter((e) => e.id === "ev-1");
    expect(mine.map((e) => e.type)).toEqual(["session.created", "session.user_message", "session.run_ended"]);
    for (const e of mine) {
      expect(e).toMatchObject({ kind: "session", id: "ev-1" });
      expect(typeof e.seq).toBe("number");
      expect(new Date(e.time).getTime()).toBeGreaterThan(0);
    }
    expect(mine[1].data.text).toBe("tail me");
    expect(json.every((e) => e.kind === "session")).toBe(true);
  });

  test("--from and --limit select a range", async () => {
    const all = jsonLines((await gw.cli(["events", "tail", "--json", "-n", "1000"])).stdout);
    const r = jsonLines((await gw.cli(["events", "tail", "--json", "--from", "2", "--limit", "2"])).stdout);
    expect(r.map((e) => e.seq)).toEqual([2, 3]);
    expect(r[0]).toEqual(all.find((e) => e.seq === 2));
  });

  test("--follow prints new events live", async () => {
    const { spawn } = await import("node:child_process");
    const { BIN } = await import("../fixtures/gateway.ts");
    const child = spawn(process.execPath, [BIN, "events", "tail", "--follow", "--json", "-n", "1"], { env: gw.env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      llm.script({ chunks: ["live"] });
      expect((await gw.cli(["chat", "-s", "follow-1", "watch"])).code).toBe(0);
      await expect.poll(() => out.includes('"id":"follow-1"') && out.includes("session.run_ended"), { timeout: 10_000 }).toBe(true);
    } finally {
      child.kill("SIGINT");
    }
  });

  test("rejects an unknown kind", async () => {
    const r = await gw.cli(["events", "tail", "--kind", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kind must be one of session, run/);
  });
});

describe("cairn projections rebuild", () => {
  test("rebuilds from the log; history is identical before and after", async () => {
    llm.script({ chunks: ["one"] }, { chunks: ["two"] });
    await gw.cli(["chat", "-s", "rb-1", "first"]);
    await gw.cli(["chat", "-s", "rb-1", "second"]);
    const before = (await gw.cli(["events", "tail", "--json", "-n", "1000"])).stdout;
    const r = await gw.cli(["projections", "rebuild", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: true });
    expect(result.events).toBeGreaterThanOrEqual(jsonLines(before).length);
    // The next chat still works on the rebuilt read models, with the whole history.
    llm.script({ chunks: ["three"] });
    expect((await gw.cli(["chat", "-s", "rb-1", "third"])).code).toBe(0);
    const sent = llm.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual(["first", "one", "second", "two", "third"]);
  });
});

describe("help and usage", () => {
  test.each([["--help"], ["chat", "--help"], ["events", "tail", "--help"], ["projections", "--help"], ["gateway", "--help"]])(
    "cairn %s prints usage and exits 0",
    async (...args) => {
      const r = await runCli(args.filter(Boolean) as string[], process.env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: cairn/);
    },
  );

  test("an unknown command suggests the nearest one", async () => {
    const r = await runCli(["chta"], process.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean 'chat'/);
  });

  test("a config file with a typo refuses to start and names the key", async () => {
    const cfg = mkdtempSync(join(tmpdir(), "cairn-cfg-"));
    const data = mkdtempSync(join(tmpdir(), "cairn-data-"));
    try {
      writeFileSync(join(cfg, "cairn.toml"), '[agent]\nmodle = "openai/gpt-4o-mini"\n');
      const r = await runCli(["gateway"], { ...process.env, CAIRN_CONFIG_DIR: cfg, CAIRN_DATA_DIR: data, CAIRN_PORT: "0" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown key 'agent\.modle'; did you mean 'agent\.model'\?/);
      writeFileSync(join(cfg, "cairn.toml"), '[gateway]\nport = "abc"\n');
      const r2 = await runCli(["gateway"], { ...process.env, CAIRN_CONFIG_DIR: cfg, CAIRN_DATA_DIR: data, CAIRN_PORT: "0" });
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/port/);
    } finally {
      rmSync(cfg, { recursive: true, force: true });
      rmSync(data, { recursive: true, force: true });
    }
  });
});
