/**
 * MCP servers through a real gateway process: a `[[mcp.servers]]` stdio server from cairn.toml,
 * the scripted model calling its tool in a chat (the call is a tool call in the log like any
 * other), and `cairn mcp` list/tools/add/remove/restart against the running gateway, applied
 * without a restart.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { MCP_FIXTURE } from "../fixtures/mcp/index.ts";
import { waitUntil } from "../chaos/chaos.helpers.ts";

const configDir = mkdtempSync(join(tmpdir(), "cairn-mcp-config-"));
const callLog = join(configDir, "calls.jsonl");
writeFileSync(
  join(configDir, "cairn.toml"),
  `[[mcp.servers]]
name = "fx"
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(MCP_FIXTURE)}, "echo"]
env = { MCP_FIXTURE_LOG = ${JSON.stringify(callLog)} }
trusted = true

[[mcp.servers]]
name = "broken"
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(MCP_FIXTURE)}, "crash"]
max_restart_attempts = 0
`,
);
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: configDir } });

const list = async () => {
  const r = await gw.cli(["mcp", "list", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout);
};
const untilState = (name: string, state: string) =>
  waitUntil(`${name} to be ${state}`, async () => (await list()).find((s) => s.name === name && s.state === state), 20_000, 100);

test("the model calls an MCP tool in a chat: it runs once on the server and is a tool call in the log", async () => {
  await untilState("fx", "ready");
  llm.script(
    { toolCalls: [{ name: "mcp__fx__echo", arguments: JSON.stringify({ text: "stones" }) }] },
    { chunks: ["The server said it."] },
  );
  const r = await gw.cli(["chat", "-s", "mcp-1", "ask the server"]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain("The server said it.");
  expect(r.stderr).toContain("✓ mcp__fx__echo");
  // The model was offered the tool with the server's schema and got its result back.
  const offered = llm.requests[0].body.tools.find((t: { function: { name: string } }) => t.function.name === "mcp__fx__echo");
  expect(offered.function.parameters).toEqual({ type: "object", properties: { text: { type: "string" } }, required: ["text"] });
  expect(JSON.stringify(llm.requests[1].body.messages)).toContain("echo: stones");
  expect(readFileSync(callLog, "utf8").trim().split("\n")).toHaveLength(1);
  const events = jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "100"])).stdout);
  expect(events.map((e) => e.type)).toEqual([
    "run.started",
    "run.tool_call_requested",
    "run.tool_started",
    "run.tool_finished",
    "run.completed",
  ]);
  expect(events[3].data).toMatchObject({ output: "echo: stones", isError: false });
});

test("cairn mcp list shows each server's state and why; tools lists what the model sees", async () => {
  const broken = await untilState("broken", "disabled");
  expect(broken.reason).toMatch(/boom: the fixture was told to crash/);
  const human = await gw.cli(["mcp", "list"]);
  expect(human.stdout).toMatch(/^NAME\s+STATE\s+TOOLS/);
  expect(human.stdout).toMatch(/\nfx\s+ready\s+6\s+never\s+stdio\s+config\s/);
  expect(human.stdout).toMatch(/broken: disabled after 1 failure in a row: .*boom/);
  const tools = jsonLines((await gw.cli(["mcp", "tools", "fx", "--json"])).stdout);
  expect(tools.map((t) => t.name)).toContain("mcp__fx__add");
  // The server's stderr is in the gateway's log, named by the server.
  expect(gw.output()).toContain("mcp fx: fixture echo up");
  // Besides tools: its resources and prompts.
  const offers = JSON.parse((await gw.cli(["mcp", "resources", "fx", "--json"])).stdout);
  expect(offers).toEqual({
    resources: [{ uri: "notes://today", name: "today", description: "Today's notes", mimeType: "text/markdown" }],
    prompts: [{ name: "summarise", description: "Summarise a text", arguments: ["text"] }],
  });
  expect((await gw.cli(["mcp", "resources", "fx"])).stdout).toMatch(/^RESOURCE\s+NAME\s+TYPE/);
  const down = await gw.cli(["mcp", "resources", "broken"]);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/broken is disabled/);
});

test("cairn mcp add / remove / restart apply to the running gateway, and secrets are refused as literal values", async () => {
  const refused = await gw.cli(["mcp", "add", "leaky", "--env", "TOKEN=ghp_secret", "--", process.execPath, MCP_FIXTURE]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/TOKEN must be a reference/);

  const added = await gw.cli(["mcp", "add", "extra", "--approval", "smart", "--", process.execPath, MCP_FIXTURE, "echo"]);
  expect(added.code, added.stderr).toBe(0);
  const ready = await untilState("extra", "ready");
  expect(ready).toMatchObject({ source: "settings", approval: "smart" });
  const tools = jsonLines((await gw.cli(["mcp", "tools", "extra", "--json"])).stdout);
  expect(tools.find((t) => t.tool === "peek")).toMatchObject({ asks: false });
  expect(tools.find((t) => t.tool === "echo")).toMatchObject({ asks: true });

  const restarted = await gw.cli(["mcp", "restart", "broken"]);
  expect(restarted.code, restarted.stderr).toBe(0);

  const removed = await gw.cli(["mcp", "remove", "extra"]);
  expect(removed.code, removed.stderr).toBe(0);
  expect((await list()).map((s) => s.name)).toEqual(["broken", "fx"]);
  const fromToml = await gw.cli(["mcp", "remove", "fx"]);
  expect(fromToml.stderr).toMatch(/configured in cairn.toml/);
  // The change is a settings event in the log.
  const settings = jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "settings", "-n", "100"])).stdout);
  expect(settings.map((e) => e.type)).toEqual(["settings.mcp_server_added", "settings.mcp_server_removed"]);
});
