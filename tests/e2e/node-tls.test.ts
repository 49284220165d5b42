/**
 * The embedded NATS off loopback, end to end: a real gateway whose `[nodes] nats_host` is 0.0.0.0
 * requires TLS. The CLI (through gateway.json) still chats and reads the log; a node paired
 * before TLS was turned on fetches and pins the certificate by itself after the restart; a node
 * paired now gets it with its approval; commands run on both; a plain connection is refused.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import type { NodeSummary } from "../../schemas/index.ts";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";

const cfg = mkdtempSync(join(tmpdir(), "cairn-nodetls-cfg-"));
const toml = (natsHost: string) => `[tools.exec]\napproval_mode = "never"\n\n[nodes]\nnats_host = "${natsHost}"\n`;
writeFileSync(join(cfg, "cairn.toml"), toml("127.0.0.1"));
const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: "unix:///nonexistent.sock" } });

interface Runtime {
  natsUrl: string;
  cliCreds: string;
  natsCaFile?: string;
}
const runtime = () => JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as Runtime;

let admin: NatsConnection | undefined;
let early: NodeProc;
let fresh: NodeProc | undefined;

const pairNode = async (nodeId: string, name: string): Promise<NodeProc> => {
  const node = await startNodeProc({ host: gw.url, name, nodeId });
  await node.waitForLine(/waiting for approval on the gateway/);
  const pending = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout);
  expect((await gw.cli(["node", "approve", pending.find((n) => n.nodeId === nodeId)!.requestId!])).code).toBe(0);
  return node;
};

beforeAll(async () => {
  // Paired while the bus was loopback-only: no certificate pinned.
  expect((await gw.cli(["node", "pairing", "enable"])).code).toBe(0);
  early = await pairNode("early1", "Early Node");
  await early.waitForLine(/ connected /);
  expect(JSON.parse(readFileSync(join(early.dataDir, "node.json"), "utf8")).natsCaPem).toBeUndefined();
  expect(runtime().natsCaFile).toBeUndefined();

  // The user exposes the bus to other machines: TLS from the next start on.
  // The node's pairing client keeps its HTTP connection to the edge alive for a few seconds; a
  // gateway killed while it is open leaves the edge's port half-closed, and the edge (no
  // SO_REUSEADDR) could not listen on it again. The node must find the gateway at the same URL.
  const edgePort = new URL(gw.url).port;
  while (
    execFileSync("ss", ["-Htn", "state", "established", `( sport = :${edgePort} )`])
      .toString()
      .trim()
  )
    await new Promise((r) => setTimeout(r, 250));
  // (SIGKILL, as the chaos tests do: the orphaned nats-server is stopped by the next start, and
  // the edge's port is free again at once, so the node's gateway URL stays valid.)
  await gw.kill("SIGKILL");
  writeFileSync(join(cfg, "cairn.toml"), toml("0.0.0.0"));
  await gw.restart();
  const info = runtime();
  admin = await connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "test-admin", tls: { caFile: info.natsCaFile! } });
}, 120_000);

afterAll(async () => {
  await fresh?.dispose();
  await early?.dispose();
  await admin?.close();
  rmSync(cfg, { recursive: true, force: true });
});

const online = async (nodeId: string) => {
  for (;;) {
    const r = (await request(admin!, subjects.query("nodes", "list"), {})) as { nodes: NodeSummary[] };
    if (r.nodes.find((n) => n.nodeId === nodeId)?.online) return;
    await new Promise((res) => setTimeout(res, 200));
  }
};

const runOn = async (key: string, nodeId: string, command: string) => {
  await request(admin!, subjects.command("session", key, "create"), {});
  await request(admin!, subjects.command("session", key, "set_node"), { node: nodeId });
  llm.script({ toolCalls: [{ id: `c-${key}`, name: "exec", arguments: JSON.stringify({ command }) }] }, { chunks: ["done"] });
  const chat = await gw.cli(["chat", "-s", key, "run it"], { timeoutMs: 60_000 });
  expect(chat.code, chat.stderr).toBe(0);
  const r = (await request(admin!, subjects.query("tools", "list"), { sessionKey: key })) as {
    calls: Array<{ name: string; output: string | null; isError: boolean }>;
  };
  return r.calls.filter((c) => c.name === "exec").at(-1)!;
};

describe("NATS over TLS when it listens off loopback", () => {
  test("the banner says TLS; the CLI connects through gateway.json's certificate; a plain client is refused", async () => {
    expect(gw.output()).toMatch(/nats .*\(TLS\)/);
    const info = runtime();
    expect(info.natsCaFile).toBeDefined();
    expect(readFileSync(join(gw.dataDir, "nats", "nats-server.conf"), "utf8")).toMatch(/^tls \{$/m);
    const tail = await gw.cli(["events", "tail", "--json"]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toContain("node.approved");
    await expect(connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "plain", timeoutMs: 2_000 })).rejects.toThrow();
  }, 60_000);

  test("a node paired before TLS pins the certificate by itself and comes back online; its command runs", async () => {
    await online("early1");
    const pinned = JSON.parse(readFileSync(join(early.dataDir, "node.json"), "utf8")).natsCaPem as string;
    expect(pinned).toBe(readFileSync(runtime().natsCaFile!, "utf8"));
    expect(early.stdout()).toMatch(/pinned the gateway's NATS certificate/);
    const out = await runOn("tls-early", "early1", "echo early-ran");
    expect(out.isError).toBe(false);
    expect(out.output).toContain("early-ran");
  }, 90_000);

  test("a node paired now gets the certificate with its approval, connects over TLS and runs a command", async () => {
    fresh = await pairNode("fresh1", "Fresh Node");
    const approved = await fresh.waitForLine(/^approved: /);
    expect(approved).toMatch(/over TLS \(certificate SHA-256 [0-9A-F:]+\)/);
    await fresh.waitForLine(/ connected /);
    expect(JSON.parse(readFileSync(join(fresh.dataDir, "node.json"), "utf8")).natsCaPem).toBe(readFileSync(runtime().natsCaFile!, "utf8"));
    await online("fresh1");
    const out = await runOn("tls-fresh", "fresh1", "echo fresh-ran; pwd");
    expect(out.isError).toBe(false);
    expect(out.output).toContain(`fresh-ran\n${fresh.workingDir}`);
  }, 90_000);
});
