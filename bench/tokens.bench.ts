/**
 * The token path under load, run by hand (never by the test suite; figures are reported, not
 * asserted):
 *
 *   npx tsx bench/tokens.bench.ts                  # 1, 50 and 200 sessions streaming at once
 *   npx tsx bench/tokens.bench.ts --sessions 1,50 --tokens 300 --rate 50
 *
 * Each session is its own WebSocket (a browser tab) and streams one reply of `--tokens` tokens at
 * `--rate` tokens/s from the scripted LLM server in this process. For every token: the time from
 * the provider's write of it to the moment its tab received the frame holding it (the gateway's
 * added latency; one clock, as both ends live here). Also the CPU the gateway and its nats-server
 * spent per 1,000 tokens, and the frames per token that reached the tabs.
 */
import { ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import { connectWs, type Frame, type WsClient } from "../tests/fixtures/ws-client.ts";
import { Cleanup, cleanUpOnAbort, cpuTimeMs, round, sleep, summarize, wallClockMs, type Summary } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "1,50,200" },
    tokens: { type: "string", default: "300" },
    rate: { type: "string", default: "50" },
    /** A CPU profile of the gateway over the last scenario, written into this dir (bench/probe). */
    profile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/tokens.bench.ts [--sessions 1,50,200] [--tokens 300] [--rate 50] [--profile <dir>]\n");
  process.exit(0);
}
const sessionCounts = values.sessions!.split(",").map(Number);
const tokens = Number(values.tokens);
const rate = Number(values.rate);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Every scripted token is `q<reply>k<n> `: findable in the provider's writes and the tabs' frames. */
const TOKEN = /q(\d+)k(\d+) /g;
const writtenAt = new Map<string, number>();
const original = ServerResponse.prototype.write;
ServerResponse.prototype.write = function (this: ServerResponse, chunk: any, ...rest: any[]) {
  const at = wallClockMs();
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
  for (const m of text.matchAll(TOKEN)) if (!writtenAt.has(m[0])) writtenAt.set(m[0], at);
  return (original as any).call(this, chunk, ...rest);
} as typeof original;

interface Scenario {
  sessions: number;
  tokens: number;
  perToken: Summary;
  cpuMsPer1kTokens: { gateway: number; nats: number };
  framesPerToken: number;
  lost: number;
  /** chat.send → the first delta at the tab, per reply (ms). */
  firstToken: Summary;
}

const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 15 * 60_000, log);
let replies = 0;

async function scenario(url: string, gwPid: number, natsPid: number, sessions: number): Promise<Scenario> {
  const tabs: { ws: WsClient; key: string }[] = [];
  for (let i = 0; i < sessions; i++) {
    const ws = await connectWs(`${url.replace(/^http/, "ws")}/ws`);
    cleanup.add("tab", () => ws.destroy());
    if (!(await ws.request("connect", { protocol: 1, client: { name: "bench" } })).ok) throw new Error("connect refused");
    const created = await ws.request("sessions.create", {});
    const key: string = created.payload.key;
    if (!(await ws.request("chat.subscribe", { sessionKey: key })).ok) throw new Error("subscribe refused");
    tabs.push({ ws, key });
  }
  const latencies: number[] = [];
  const firsts: number[] = [];
  let frames = 0;
  let received = 0;
  const cpu0 = { gateway: cpuTimeMs(gwPid), nats: cpuTimeMs(natsPid) };
  await Promise.all(
    tabs.map(async ({ ws, key }, i) => {
      // Spread the starts over a second, as people do; every reply then streams concurrently.
      await sleep((i / sessions) * 1000);
      const reply = replies++;
      const chunks = Array.from({ length: tokens }, (_, k) => `q${reply}k${k} `);
      let sentAt = 0;
      const ended = ws.waitFor((f: Frame) => {
        if (f.type !== "event" || f.payload?.sessionKey !== key) return false;
        if (f.payload.type === "run.delta") {
          const at = wallClockMs();
          if (f.payload.index === 0) firsts.push(at - sentAt);
          frames++;
          for (const m of String(f.payload.text).matchAll(TOKEN)) {
            const w = writtenAt.get(m[0]);
            if (w !== undefined) latencies.push(at - w);
            received++;
          }
        }
        return f.payload.type === "run.ended";
      }, 120_000);
      llm.script({ chunks, chunkDelayMs: 1000 / rate });
      sentAt = wallClockMs();
      const res = await ws.request("chat.send", { sessionKey: key, text: `reply ${reply}` });
      if (!res.ok) throw new Error(`chat.send: ${JSON.stringify(res.error)}`);
      await ended;
      ws.inbox.splice(0);
    }),
  );
  const total = sessions * tokens;
  const cpu = { gateway: cpuTimeMs(gwPid) - cpu0.gateway, nats: cpuTimeMs(natsPid) - cpu0.nats };
  for (const t of tabs) t.ws.destroy();
  return {
    sessions,
    tokens: total,
    perToken: summarize(latencies),
    cpuMsPer1kTokens: { gateway: round((cpu.gateway / total) * 1000), nats: round((cpu.nats / total) * 1000) },
    framesPerToken: round(frames / Math.max(1, received), 3),
    lost: total - received,
    firstToken: summarize(firsts),
  };
}

const llm = await startLlmServer();
cleanup.add("llm server", () => llm.close());
try {
  const preload = new URL("./probe/preload.mjs", import.meta.url).href;
  const profileEnv = values.profile
    ? {
        NODE_OPTIONS: `--import ${preload}`,
        CAIRN_BENCH_PROBE_DIR: values.profile,
        CAIRN_BENCH_PROFILE: "window",
        CAIRN_BENCH_PROBE_HOOKS: "0",
      }
    : undefined;
  const gw = await startGatewayProc({ llmBaseUrl: llm.url, ...(profileEnv ? { extraEnv: profileEnv } : {}) });
  cleanup.add("gateway", () => gw.dispose());
  const natsPid = Number(readFileSync(join(gw.dataDir, "nats", "nats-server.pid"), "utf8").split("\n")[0]);
  const results: Scenario[] = [];
  // The gateway's very first reply, then one more (warm): chat.send → first token of each.
  const first = await scenario(gw.url, gw.child.pid!, natsPid, 1);
  const warm = await scenario(gw.url, gw.child.pid!, natsPid, 1);
  log(`tokens: first chat after start: send → first token ${round(first.firstToken.p50)} ms; the next ${round(warm.firstToken.p50)} ms`);
  for (const [i, n] of sessionCounts.entries()) {
    log(`tokens: ${n} session(s) × ${tokens} tokens at ${rate}/s…`);
    const profiled = values.profile && i === sessionCounts.length - 1;
    if (profiled) gw.child.kill("SIGUSR2");
    results.push(await scenario(gw.url, gw.child.pid!, natsPid, n));
    if (profiled) {
      gw.child.kill("SIGUSR2");
      await sleep(1000);
      log(`tokens: gateway CPU profile in ${values.profile}/window.cpuprofile`);
    }
  }
  const row = (r: Scenario) =>
    `${String(r.sessions).padStart(8)} ${String(r.tokens).padStart(7)} ${[r.perToken.p50, r.perToken.p90, r.perToken.p99, r.perToken.max]
      .map((x) => round(x).toFixed(2).padStart(8))
      .join(" ")} ${r.cpuMsPer1kTokens.gateway.toFixed(1).padStart(9)} ${r.cpuMsPer1kTokens.nats.toFixed(1).padStart(7)} ${r.framesPerToken
      .toFixed(3)
      .padStart(8)} ${String(r.lost).padStart(5)}`;
  process.stdout.write(
    `gateway-added latency per token (ms), ${tokens}-token replies at ${rate} tokens/s\n` +
      `sessions  tokens      p50      p90      p99      max  cpu gw/1k nats/1k frames/t  lost\n${results.map(row).join("\n")}\n`,
  );
  process.stdout.write(`${JSON.stringify({ tokens, rate, results })}\n`);
} finally {
  ServerResponse.prototype.write = original;
  await cleanup.runAll();
}
