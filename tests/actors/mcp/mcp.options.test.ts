import { describe, expect, test } from "vitest";
import { mcpToolName, resolveSecrets, restartDelay, serverOptions } from "../../../actors/mcp/index.ts";

describe("MCP server options", () => {
  test("stdio xor HTTP; approval defaults to always, or never for a trusted server; seconds become ms", () => {
    const o = serverOptions({ name: "fs", command: "npx", timeout: 5, health_check_interval: 2 }, "config");
    expect(o).toMatchObject({ transport: "stdio", approval: "always", callTimeoutMs: 5000, healthIntervalMs: 2000, maxRestartAttempts: 5 });
    expect(serverOptions({ name: "w", url: "http://127.0.0.1:1/mcp", trusted: true }, "config")).toMatchObject({
      transport: "streamable-http",
      approval: "never",
    });
    expect(serverOptions({ name: "w", url: "http://127.0.0.1:1/sse", transport: "sse" }, "config").transport).toBe("sse");
    expect(() => serverOptions({ name: "x" }, "config")).toThrow(/either command .* or url/);
    expect(() => serverOptions({ name: "x", command: "a", url: "http://h/" }, "config")).toThrow(/not both/);
  });

  test("references resolve from the environment or the key store; a missing one names itself, never a value", () => {
    const src = { env: { TOKEN: "t0k" }, key: (n: string) => (n === "gh" ? "k3y" : undefined) };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: secret references
    expect(resolveSecrets({ A: "${env:TOKEN}", B: "${key:gh}", C: "plain" }, src, "s")).toEqual({ A: "t0k", B: "k3y", C: "plain" });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference
    expect(() => resolveSecrets({ A: "${key:none}" }, src, "s")).toThrow(/A refers to the stored key none/);
  });

  test("restart delays double up to the cap", () => {
    const p = { backoffBaseMs: 500, backoffMaxMs: 30_000 };
    expect([1, 2, 3, 4, 7, 20].map((n) => restartDelay(n, p))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
  });

  test("tool names: mcp__<server>__<tool>, characters providers refuse become _, at most 64", () => {
    expect(mcpToolName("github", "search_repos")).toBe("mcp__github__search_repos");
    expect(mcpToolName("fs", "read.file/v2")).toBe("mcp__fs__read_file_v2");
    expect(mcpToolName("s", "x".repeat(100))).toHaveLength(64);
    expect(mcpToolName("s", "")).toBeUndefined();
  });
});
