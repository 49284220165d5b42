/**
 * Scrape time of GET /metrics on a real gateway, run by hand (timings are reported, not asserted):
 *
 *   npx tsx bench/metrics.bench.ts [--chats 20] [--scrapes 200]
 *
 * A gateway with the scripted LLM server answers `--chats` chats (with a tool call each, so the
 * model, tool and event-log families hold series), then `/metrics` is fetched `--scrapes` times in
 * a row over loopback. Prints median, p95 and max of the scrape, the body size and the series count.
 */
import { parseArgs } from "node:util";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";

const { values } = parseArgs({ options: { chats: { type: "string", default: "20" }, scrapes: { type: "string", default: "200" } } });
const chats = Number(values.chats);
const scrapes = Number(values.scrapes);
const llm = await startLlmServer();
const gw = await startGatewayProc({ llmBaseUrl: llm.url });
try {
  for (let i = 0; i < chats; i++) {
    llm.script(
      { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: `f${i}.txt`, content: "x\n" }) }] },
      { chunks: ["ok"] },
    );
    const r = await gw.cli(["chat", "-s", `bench-${i}`, "go"]);
    if (r.code !== 0) throw new Error(`chat failed: ${r.stderr}`);
  }
  const times: number[] = [];
  let body = "";
  for (let i = 0; i < scrapes; i++) {
    const t = performance.now();
    const res = await fetch(`${gw.url}/metrics`);
    body = await res.text();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  const series = body.split("\n").filter((l) => l && !l.startsWith("#")).length;
  const result = {
    bench: "cairn-metrics-scrape",
    chats,
    scrapes,
    medianMs: +q(0.5).toFixed(2),
    p95Ms: +q(0.95).toFixed(2),
    maxMs: +times[times.length - 1].toFixed(2),
    bytes: Buffer.byteLength(body),
    series,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await gw.dispose();
  await llm.close();
}
