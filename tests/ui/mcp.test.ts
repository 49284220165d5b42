/**
 * Settings → MCP and the chat's MCP toggle, the pure parts: the form becomes an `mcp.add` entry
 * (secrets only as references), an edit starts from the server's status without its values, and
 * the toggle's choices become the `sessions.setMcp` setting the gateway stores.
 */
import { describe, expect, test } from "vitest";
import { emptyMcpForm, formFromStatus, mcpEntry, stateTone, toggleLabel, withAll, withServer } from "../../ui/src/lib/mcp.ts";
import type { McpServerStatus } from "../../ui/src/lib/wire.ts";

const status = (s: Partial<McpServerStatus> = {}): McpServerStatus => ({
  name: "fx",
  source: "settings",
  transport: "stdio",
  target: "node server.mjs echo",
  command: "node",
  args: ["server.mjs", "echo"],
  enabled: true,
  state: "ready",
  failures: 0,
  since: 0,
  approval: "always",
  tools: ["echo"],
  envNames: ["TOKEN"],
  headerNames: [],
  ...s,
});

describe("the server form", () => {
  test("stdio and HTTP entries", () => {
    const f = { ...emptyMcpForm(), name: "fx", command: "node", args: "server.mjs\n\n echo ", env: `TOKEN=\${env:GH_TOKEN}` };
    expect(mcpEntry(f)).toEqual({
      ok: true,
      server: { name: "fx", command: "node", args: ["server.mjs", "echo"], env: { TOKEN: `\${env:GH_TOKEN}` }, approval: "always" },
    });
    const h = {
      ...emptyMcpForm(),
      name: "web",
      kind: "http" as const,
      url: "http://127.0.0.1:3000/mcp",
      headers: `Authorization: \${key:WEB}`,
      enabled: false,
    };
    expect(mcpEntry(h)).toEqual({
      ok: true,
      server: {
        name: "web",
        url: "http://127.0.0.1:3000/mcp",
        headers: { Authorization: `\${key:WEB}` },
        approval: "always",
        enabled: false,
      },
    });
  });

  test("a literal secret, a bad name or a missing command say what to do", () => {
    const f = { ...emptyMcpForm(), name: "fx", command: "node" };
    expect(mcpEntry({ ...f, env: "TOKEN=ghp_123" })).toMatchObject({
      ok: false,
      field: "env",
      message: expect.stringContaining(`\${env:NAME}`),
    });
    expect(mcpEntry({ ...f, name: "My Server" })).toMatchObject({ ok: false, field: "name" });
    expect(mcpEntry({ ...f, name: "a__b" })).toMatchObject({ ok: false, field: "name" });
    expect(mcpEntry({ ...f, command: " " })).toMatchObject({ ok: false, field: "command" });
    expect(mcpEntry({ ...f, kind: "http", url: "ftp://x" })).toMatchObject({ ok: false, field: "url" });
    expect(mcpEntry({ ...f, env: "TOKEN=" })).toMatchObject({ ok: false, field: "env" });
  });

  test("an edit starts from the status; values it never saw stay empty, which keeps them", () => {
    const f = formFromStatus(status());
    expect(f).toMatchObject({ name: "fx", kind: "stdio", command: "node", args: "server.mjs\necho", env: "TOKEN=" });
    expect(mcpEntry(f, true)).toMatchObject({ ok: true, server: { env: { TOKEN: "" } } });
  });

  test("state tones: switched off on purpose is not a failure", () => {
    expect(stateTone(status())).toBe("ok");
    expect(stateTone(status({ state: "disabled", enabled: false }))).toBe("off");
    expect(stateTone(status({ state: "disabled", reason: "failed 5 times" }))).toBe("bad");
    expect(stateTone(status({ state: "backing_off" }))).toBe("warn");
  });
});

describe("the chat's MCP toggle", () => {
  const servers = ["a", "b"];
  test("all on is null; off keeps the per-server choices for later", () => {
    expect(withServer(null, "a", false, servers)).toEqual({ enabled: true, off: ["a"] });
    expect(withServer({ enabled: true, off: ["a"] }, "a", true, servers)).toBeNull();
    expect(withAll({ enabled: true, off: ["a"] }, false)).toEqual({ enabled: false, off: ["a"] });
    expect(withAll({ enabled: false, off: [] }, true)).toBeNull();
    // The last server turned off is MCP off: the master box unticks, and ticking it means all again.
    expect(withServer({ enabled: true, off: ["a"] }, "b", false, servers)).toEqual({ enabled: false, off: [] });
    expect(withServer(null, "only", false, ["only"])).toEqual({ enabled: false, off: [] });
    // Turning one server on while MCP is off: only that one.
    expect(withServer({ enabled: false, off: [] }, "b", true, servers)).toEqual({ enabled: true, off: ["a"] });
  });

  test("labels", () => {
    expect(toggleLabel(null, servers)).toBe("MCP");
    expect(toggleLabel({ enabled: true, off: ["a"] }, servers)).toBe("MCP 1/2");
    expect(toggleLabel({ enabled: false, off: [] }, servers)).toBe("MCP off");
  });
});
