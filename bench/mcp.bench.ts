/**
 * MCP cost, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/mcp.bench.ts            # 500 calls per transport, 10 servers started together
 *   npx tsx bench/mcp.bench.ts --n 2000
 *
 * Measures, in this process, with the SDK fixture (tests/fixtures/mcp/server.mjs) as real child
 * processes: cold start of one stdio server to ready (spawn + initialize + tools/list); the same
 * for 10 servers started together (they start in parallel); a call of `mcp__<server>__echo`
 * through the ToolRegistry over stdio and over Streamable HTTP on loopback, against the built-in
 * `glob` tool through the same registry (the added latency of MCP over a direct call); and a real
 * gateway's start to ready with 10 stdio servers configured against none (the servers start in
 * the background: they must not delay ready), best of 3 each.
 * Prints a table, then one JSON line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "smol-toml";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { McpHub, serverOptions, type McpServerOptions } from "../actors/mcp/index.ts";
import { ToolRegistry, workspaceToolRegistry } from "../actors/tools/index.ts";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startHttpFixture, stdioEntry } from "../tests/fixtures/mcp/index.ts";
import { round, summarize } from "./lib/util.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "500" } } });
const n = Number(values.n);
const workspace = mkdtempSync(`${tmpdir()}/cairn-mcp-bench-`);
const ctx = { workspace, signal: new AbortController().signal, sessionKey: "bench" };

async function readyHub(opts: McpServerOptions[], registry: ToolRegistry): Promise<{ hub: McpHub; ms: number }> {
  const hub = new McpHub({ secrets: { env: process.env, key: () => undefined } });
  hub.attach(registry);
  const t0 = performance.now();
  hub.apply(opts);
  while (!hub.list().every((s) => s.state === "ready")) {
    if (hub.list().some((s) => s.state === "disabled")) throw new Error(JSON.stringify(hub.list()));
    await new Promise((r) => setTimeout(r, 1));
  }
  return { hub, ms: performance.now() - t0 };
}

async function timeCalls(registry: ToolRegistry, name: string, args: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await registry.invoke(name, args, ctx);
    out.push(performance.now() - t0);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  }
  return out;
}

const registry = workspaceToolRegistry();
const cold = await readyHub([serverOptions(stdioEntry("one"), "config")], registry);
const ten = await readyHub(
  Array.from({ length: 10 }, (_, i) => serverOptions(stdioEntry(`s${i}`), "config")),
  new ToolRegistry(),
);
await ten.hub.stop();
const http = await startHttpFixture();
const web = await readyHub([serverOptions({ name: "web", url: http.url }, "config")], registry);

const echo = JSON.stringify({ text: "hello" });
await timeCalls(registry, "mcp__one__echo", echo); // warm-up (JIT, first requests)
const rows = {
  "built-in glob": summarize(await timeCalls(registry, "glob", JSON.stringify({ pattern: "*.none" }))),
  "MCP stdio echo": summarize(await timeCalls(registry, "mcp__one__echo", echo)),
  "MCP HTTP echo": summarize(await timeCalls(registry, "mcp__web__echo", echo)),
};
await cold.hub.stop();
await web.hub.stop();
http.stop();
rmSync(workspace, { recursive: true, force: true });

/** What the gateway itself reports as its start to ready (ms), with `servers` MCP servers configured. */
async function gatewayReadyMs(servers: number): Promise<number> {
  const configDir = mkdtempSync(`${tmpdir()}/cairn-mcp-bench-cfg-`);
  const entries = Array.from({ length: servers }, (_, i) => stdioEntry(`s${i}`));
  writeFileSync(join(configDir, "cairn.toml"), servers > 0 ? stringify({ mcp: { servers: entries } }) : "");
  const gw = await startGatewayProc({ model: null, extraEnv: { CAIRN_CONFIG_DIR: configDir } });
  const ms = Number(/ready in (\d+) ms/.exec(gw.output())?.[1] ?? Number.NaN);
  await gw.dispose();
  rmSync(configDir, { recursive: true, force: true });
  return ms;
}
const best = async (servers: number) =>
  Math.min(await gatewayReadyMs(servers), await gatewayReadyMs(servers), await gatewayReadyMs(servers));
const gatewayNone = await best(0);
const gatewayTen = await best(10);
console.log(`gateway start to ready: ${gatewayNone} ms with no MCP server, ${gatewayTen} ms with 10 (best of 3)`);
console.log(`cold start of one stdio server to ready: ${round(cold.ms)} ms; 10 servers together: ${round(ten.ms)} ms`);
for (const [k, v] of Object.entries(rows))
  console.log(`${k.padEnd(16)} p50 ${round(v.p50)} ms  p90 ${round(v.p90)} ms  p99 ${round(v.p99)} ms  (n=${n})`);
console.log(
  JSON.stringify({
    coldStartMs: round(cold.ms),
    tenServersMs: round(ten.ms),
    gatewayReadyMs: { none: gatewayNone, ten: gatewayTen },
    calls: rows,
  }),
);
