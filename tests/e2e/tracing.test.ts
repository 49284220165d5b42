/**
 * Traces through a real gateway: with `CAIRN_OTLP_ENDPOINT` set, a run's spans reach an OTLP/HTTP
 * collector stub on loopback (the exporter's JSON encoding, decoded here) as one trace: the `run`
 * root, its model calls and its tool call as children.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

let collector: Server;
let llm: LlmServer;
let gw: GatewayProc;
const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();
let waiting: (() => void) | undefined;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      contentTypes.add(String(req.headers["content-type"]));
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        waiting?.();
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  const port = (collector.address() as AddressInfo).port;
  llm = await startLlmServer();
  gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
});

afterAll(async () => {
  await gw?.dispose();
  await llm?.close();
  await new Promise((r) => collector?.close(r));
});

/** Resolves once the collector holds spans satisfying `done` (the exporter sends them in batches). */
const until = async (done: () => boolean) => {
  while (!done()) await new Promise<void>((r) => (waiting = r));
};

test("a run with a tool call arrives as one trace: run → model calls, tool call", async () => {
  llm.script(
    { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "t.txt", content: "x\n" }) }] },
    { chunks: ["Written."] },
  );
  const r = await gw.cli(["chat", "-s", "trace-1", "write it"]);
  expect(r.code, r.stderr).toBe(0);
  const run = () => spans.find((s) => s.name === "run");
  const inRun = () => spans.filter((s) => s.traceId === run()?.traceId);
  await until(() => inRun().some((s) => s.name === "run") && inRun().filter((s) => s.name.startsWith("chat ")).length === 2);
  const root = run()!;
  expect(root.parentSpanId ?? "").toBe("");
  const children = inRun().filter((s) => s.parentSpanId === root.spanId);
  expect(children.map((s) => s.name).sort()).toEqual(["chat test-model", "chat test-model", "execute_tool write_file"]);
  const chat = children.find((s) => s.name === "chat test-model")!;
  const attr = (s: OtlpSpan, k: string) => s.attributes?.find((a) => a.key === k)?.value;
  expect(attr(chat, "gen_ai.request.model")?.stringValue).toBe("test-model");
  expect(attr(chat, "gen_ai.system")?.stringValue).toBe("openai");
  expect(attr(root, "cairn.run.status")?.stringValue).toBe("completed");
  expect([...contentTypes]).toContain("application/json");
  // The run's events carry its trace: the log and the traces join on the trace id.
  const ev = await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "20"]);
  expect(ev.stdout).toContain(root.traceId);
});
