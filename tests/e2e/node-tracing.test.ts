/**
 * Spans from a node: a real gateway and a real paired `cairn node` process, both exporting to the
 * OTLP/HTTP collector stub. A run that executes a command on the node is one trace: the node's
 * `node.command exec` span (sent by the node process, `service.name` cairn-node) is the child of
 * the gateway's `node.exec` span, under the run's tool call — the W3C traceparent travelled in
 * the NATS headers of the node command.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import type { NodeSummary } from "../../schemas/index.ts";
import { startGatewayProc, jsonLines, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";
import { attr, startOtlpCollector, type OtlpCollector } from "../fixtures/otlp.collector.ts";

const cfg = mkdtempSync(join(tmpdir(), "cairn-nodetrace-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "never"\n');

let collector: OtlpCollector;
let llm: LlmServer;
let gw: GatewayProc;
let admin: NatsConnection;
let node: NodeProc;

beforeAll(async () => {
  collector = await startOtlpCollector();
  llm = await startLlmServer();
  gw = await startGatewayProc({
    llmBaseUrl: llm.url,
    extraEnv: { CAIRN_CONFIG_DIR: cfg, CAIRN_OTLP_ENDPOINT: collector.url, DOCKER_HOST: "unix:///nonexistent.sock" },
  });
  const info = JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string; cliCreds: string };
  admin = await connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "test-admin" });
  expect((await gw.cli(["node", "pairing", "enable"])).code).toBe(0);
  node = await startNodeProc({ host: gw.url, name: "Traced Node", nodeId: "traced1", env: { CAIRN_OTLP_ENDPOINT: collector.url } });
  await node.waitForLine(/waiting for approval on the gateway/);
  const req = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout).find((n) => n.nodeId === "traced1")!;
  expect((await gw.cli(["node", "approve", req.requestId!])).code).toBe(0);
  await node.waitForLine(/ connected /);
}, 90_000);

afterAll(async () => {
  await node?.dispose();
  await admin?.close();
  await gw?.dispose();
  await llm?.close();
  await collector?.close();
  rmSync(cfg, { recursive: true, force: true });
});

test("a command run on a node is a span the node sends, in the run's trace, under the gateway's node.exec span", async () => {
  await request(admin, subjects.command("session", "nt1", "create"), {});
  await request(admin, subjects.command("session", "nt1", "set_node"), { node: "traced1" });
  llm.script({ toolCalls: [{ id: "c1", name: "exec", arguments: JSON.stringify({ command: "echo traced" }) }] }, { chunks: ["done"] });
  const chat = await gw.cli(["chat", "-s", "nt1", "run it on the node"], { timeoutMs: 60_000 });
  expect(chat.code, chat.stderr).toBe(0);

  const onNode = (spans: OtlpCollector["spans"]) => spans.find((s) => s.name === "node.command exec");
  const run = (spans: OtlpCollector["spans"]) => spans.find((s) => s.name === "run" && s.traceId === onNode(spans)?.traceId);
  await collector.until((spans) => onNode(spans) !== undefined && run(spans) !== undefined && spans.some((s) => s.name === "node.exec"));
  const nodeSpan = onNode(collector.spans)!;
  expect(nodeSpan.service).toBe("cairn-node");
  expect(attr(nodeSpan, "cairn.node.id")?.stringValue).toBe("traced1");
  expect(Number(attr(nodeSpan, "process.exit.code")?.intValue)).toBe(0);

  // The chain: run → execute_tool exec → node.exec (gateway) → node.command exec (node).
  const inTrace = collector.spans.filter((s) => s.traceId === nodeSpan.traceId);
  const byId = new Map(inTrace.map((s) => [s.spanId, s]));
  const parent = byId.get(nodeSpan.parentSpanId ?? "")!;
  expect(parent.name).toBe("node.exec");
  expect(parent.service).toBe("cairn-gateway");
  const tool = byId.get(parent.parentSpanId ?? "")!;
  expect(tool.name).toBe("execute_tool exec");
  expect(tool.parentSpanId).toBe(run(collector.spans)!.spanId);
}, 60_000);
