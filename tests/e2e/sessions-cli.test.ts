import { describe, expect, test } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLines, startGatewayProc, useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();

describe("cairn chat --model", () => {
  test("switches the session to the model, which answers and stays the session's model", async () => {
    llm.script(
      { chunks: ["picked"], usage: { inputTokens: 12, outputTokens: 3 } },
      { chunks: ["again"], usage: { inputTokens: 20, outputTokens: 4 } },
    );
    const r = await gw.cli(["chat", "-s", "pick", "--model", "openai/other-model", "hi"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("picked\n");
    const r2 = await gw.cli(["chat", "-s", "pick", "more"]);
    expect(r2.code).toBe(0);
    expect(llm.requests.slice(-2).map((q) => q.body.model)).toEqual(["other-model", "other-model"]);
  });

  test("a malformed model id is a usage error (exit 2); an unknown provider exits 1", async () => {
    const bad = await gw.cli(["chat", "--model", "gpt-4o", "hi"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--model must be provider\/model/);
    const unknown = await gw.cli(["chat", "--model", "nosuch/model", "hi"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/model_unknown/);
  });
});

describe("cairn sessions", () => {
  test("show prints title, model, messages, times and token totals; --json gives the same as data", async () => {
    const r = await gw.cli(["sessions", "show", "pick", "--json"]);
    expect(r.code).toBe(0);
    const [shown] = jsonLines(r.stdout);
    expect(shown.session).toMatchObject({ key: "pick", title: "hi", model: "openai/other-model", messageCount: 4, activeRunId: null });
    expect(shown.usage).toEqual({ inputTokens: 32, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, runs: 2 });

    const text = await gw.cli(["sessions", "show", "pick"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^session\s+pick$/m);
    expect(text.stdout).toMatch(/^model\s+openai\/other-model$/m);
    expect(text.stdout).toMatch(/^messages\s+4$/m);
    expect(text.stdout).toMatch(/^created\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(text.stdout).toMatch(/^runs\s+2$/m);
    expect(text.stdout).toMatch(/^input\s+32 tokens$/m);
    expect(text.stdout).toMatch(/^output\s+7 tokens$/m);
    expect(text.stdout).toMatch(/^cache read\s+0 tokens$/m);
  });

  test("show names the default model for a session without its own", async () => {
    llm.script({ chunks: ["x"] });
    expect((await gw.cli(["chat", "-s", "plain", "hello"])).code).toBe(0);
    const text = await gw.cli(["sessions", "show", "plain"]);
    expect(text.stdout).toMatch(/^model\s+the default \(openai\/test-model\)$/m);
  });

  test("list shows the most recent first; --json one object per line", async () => {
    const r = await gw.cli(["sessions", "list", "--json"]);
    expect(r.code).toBe(0);
    const keys = jsonLines(r.stdout).map((s) => s.key);
    expect(keys.slice(0, 2)).toEqual(["plain", "pick"]);
    const text = await gw.cli(["sessions", "list", "-n", "1"]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^KEY\s+UPDATED\s+MSGS\s+MODEL\s+TITLE$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^plain\s/);
  });

  test("an unknown session exits 1 with its code; wrong command lines exit 2", async () => {
    const none = await gw.cli(["sessions", "show", "nope"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no session 'nope'.*\[session_not_found\]/);
    expect((await gw.cli(["sessions", "show"])).code).toBe(2);
    expect((await gw.cli(["sessions", "frobnicate"])).code).toBe(2);
    expect((await gw.cli(["sessions", "list", "--limit", "0"])).code).toBe(2);
    const help = await gw.cli(["sessions", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/cairn sessions show <key>/);
  });
});

describe("cairn chat with a fallback chain ([providers] fallback in cairn.toml)", () => {
  test("a rate-limited model moves to the fallback: chat says so on stderr and streams the fallback's reply", async () => {
    const fb = await startGatewayProc({ llmBaseUrl: llm.url });
    try {
      writeFileSync(join(fb.configDir, "cairn.toml"), '[providers]\nfallback = ["openai/backup"]\n');
      await fb.kill();
      await fb.restart();
      llm.reset();
      llm.script(
        { error: { status: 429, headers: { "retry-after": "7" } } },
        { chunks: ["from ", "backup"] },
        { chunks: ["still backup"] },
      );
      const r = await fb.cli(["chat", "-s", "fb", "hi"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("from backup\n");
      expect(r.stderr).toBe("cairn: openai/test-model failed [provider_rate_limited]; trying openai/backup\n");

      // The primary is cooling down now: skipped without a request, and --json says why.
      const j = await fb.cli(["chat", "-s", "fb", "--json", "again"]);
      expect(j.code).toBe(0);
      const lines = jsonLines(j.stdout);
      expect(lines[0]).toMatchObject({
        type: "model_switched",
        from: "openai/test-model",
        to: "openai/backup",
        error: { details: { coolingDown: true } },
      });
      expect(lines.at(-1)).toMatchObject({ type: "result", status: "completed" });
      expect(llm.requests.map((q) => q.body.model)).toEqual(["test-model", "backup", "backup"]);
    } finally {
      await fb.dispose();
    }
  });
});
