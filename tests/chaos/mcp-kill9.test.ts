/**
 * kill -9 of the gateway while an MCP tool call runs on its server (DESIGN §1.3): after the
 * restart the call is `run.tool_interrupted` once, the run `run.interrupted`, and the server —
 * started again by the new gateway — never sees the call a second time. Real gateway process,
 * real nats-server, a real MCP server (the SDK fixture) as the gateway's child over stdio.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { jsonLines } from "../fixtures/gateway.ts";
import { MCP_FIXTURE } from "../fixtures/mcp/index.ts";
import { cleanupAll, exitOf, expectSaneLog, readEvents, spawnCli, startGateway, startLlm, turnEvents, waitUntil } from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);
const dir = mkdtempSync(join(tmpdir(), "cairn-mcp-k9-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const calls = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);

it("an MCP call cut off by kill -9 is recorded as interrupted once and never sent to the server again", async () => {
  const callLog = join(dir, "calls.jsonl");
  const llm = await startLlm();
  const gw = await startGateway(llm, {
    configToml: `[[mcp.servers]]
name = "fx"
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(MCP_FIXTURE)}, "echo"]
env = { MCP_FIXTURE_LOG = ${JSON.stringify(callLog)} }
trusted = true
`,
  });
  const ready = async () => jsonLines((await gw.cli(["mcp", "list", "--json"])).stdout).find((s) => s.name === "fx" && s.state === "ready");
  await waitUntil("fx to be ready", ready, 20_000, 100);
  const session = "mcpk9";
  const first = "wait on the server";
  llm.script({ toolCalls: [{ id: "call_mcp", name: "mcp__fx__slow", arguments: JSON.stringify({ ms: 600_000 }) }] });
  const chat = spawnCli(gw, ["chat", "--session", session, first]);
  // The server writes its line only when it got the call, after `run.tool_started` was appended.
  await waitUntil("the server to get the call", () => calls(callLog).length === 1, 30_000);

  await gw.kill("SIGKILL");
  expect(await exitOf(chat, 20_000)).toBe(1);
  await gw.restart();
  expect(gw.output()).toMatch(/recovered\s+1 interrupted run/);
  await waitUntil("fx to be ready again", ready, 20_000, 100);

  const events = await readEvents(gw);
  expectSaneLog(events);
  const { run, ended } = turnEvents(events, session, first);
  expect(run.map((e) => e.type)).toEqual([
    "run.started",
    "run.tool_call_requested",
    "run.tool_started",
    "run.tool_interrupted",
    "run.interrupted",
  ]);
  expect(run[1].data).toMatchObject({ callId: "call_mcp", name: "mcp__fx__slow" });
  expect(ended.map((e) => e.data.status)).toEqual(["interrupted"]);
  // The new server process is up and was never asked again; the model was not asked to go on.
  expect(calls(callLog)).toHaveLength(1);
  expect(llm.requests).toHaveLength(1);
}, 120_000);
