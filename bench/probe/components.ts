/**
 * The streamed-token path of the gateway taken apart, each piece measured alone in this process,
 * with every turn either back to back ("hot") or after 50 ms of idleness ("idle", as with a real
 * provider whose first token takes 100s of ms):
 *  - provider: the scripted LLM server in its own process writes the first text chunk → the
 *    OpenAI provider (official SDK, undici) yields the first delta here;
 *  - nats: `publishLive` → a live-stream consumer set up as the edge sets it up (JetStream, file
 *    storage) calls back, on one connection as in the gateway;
 *  - edge: `publishLive` → the real edge (uWS, in this process) → a WebSocket client (also here)
 *    receives the `run.delta` frame; minus the nats hop, that is the edge's own share.
 * What the gateway-added latency has beyond their sum is the run actor, the edge (decode, uWS) and
 * the WebSocket hop.
 */
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { createOpenAiProvider } from "../../actors/llm/openai.provider.ts";
import { LIVE_STREAM, ensureStreams, publishLive, serve, subjects } from "../../bus/index.ts";
import { startEdge } from "../../bus/edge/index.ts";
import { connectWs } from "../../tests/fixtures/ws-client.ts";
import { remoteRequests, scriptRemote } from "../../tests/fixtures/llm-server/index.ts";
import { startTestNats } from "../../tests/fixtures/nats.ts";
import { sleep, summarize, wallClockMs, type Cleanup, type Summary } from "../lib/util.ts";

const LLM_MAIN = fileURLToPath(new URL("../../tests/fixtures/llm-server/main.ts", import.meta.url));

export interface Components {
  provider: { hot: Summary; idle: Summary };
  /** The same reply read with node:http and a minimal SSE split (no SDK), for comparison. */
  rawHttp: { hot: Summary; idle: Summary };
  nats: { hot: Summary; idle: Summary };
  /** The same publish to a plain core-NATS subscription (no JetStream), for comparison. */
  core: { hot: Summary; idle: Summary };
  edge: { hot: Summary; idle: Summary };
}

/** Times `hop` back to back, then each after 50 ms idle. */
async function hotAndIdle(turns: number, hop: () => Promise<number>) {
  for (let i = 0; i < 20; i++) await hop();
  const hot: number[] = [];
  for (let i = 0; i < turns; i++) hot.push(await hop());
  const idle: number[] = [];
  for (let i = 0; i < turns; i++) {
    await sleep(50);
    idle.push(await hop());
  }
  return { hot: summarize(hot), idle: summarize(idle) };
}

async function providerHop(turns: number, cleanup: Cleanup) {
  const child = spawn(process.execPath, ["--import", "tsx", LLM_MAIN, "--exit-with-stdin"], { stdio: ["pipe", "pipe", "inherit"] });
  const stop = cleanup.add("llm server process", () => void child.kill("SIGTERM"));
  try {
    const info = await new Promise<{ url: string; openaiBaseUrl: string }>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) resolve(JSON.parse(buf.split("\n")[0]));
      });
      child.once("exit", (code) => reject(new Error(`llm server exited (${code})`)));
    });
    const provider = createOpenAiProvider({ apiKey: "sk-test", baseURL: info.openaiBaseUrl });
    const viaSdk = async () => {
      let first = 0;
      for await (const c of provider.stream({ model: "m", messages: [{ role: "user", text: "hi" }] })) {
        if (c.type === "delta" && first === 0) first = wallClockMs();
      }
      return first;
    };
    const agent = new Agent({ keepAlive: true });
    const viaHttp = () =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] });
        const req = request(
          `${info.openaiBaseUrl}/chat/completions`,
          { method: "POST", agent, headers: { authorization: "Bearer sk-test", "content-type": "application/json" } },
          (res) => {
            let buf = "";
            let first = 0;
            res.setEncoding("utf8");
            res.on("data", (d: string) => {
              buf += d;
              for (let nl = buf.indexOf("\n\n"); nl >= 0; nl = buf.indexOf("\n\n")) {
                const event = buf.slice(0, nl);
                buf = buf.slice(nl + 2);
                if (first === 0 && event.startsWith("data: {") && JSON.parse(event.slice(6)).choices?.[0]?.delta?.content)
                  first = wallClockMs();
              }
            });
            res.on("end", () => resolve(first));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    /** First byte (role chunk with the headers; the text chunk follows ~0.1 ms later) → first text. */
    const measure = async (read: () => Promise<number>) => {
      const at: number[] = [];
      const before = (await remoteRequests(info.url)).length;
      for (let i = 0; i < 10 + 2 * turns; i++) {
        await scriptRemote(info.url, { chunks: ["first ", "second"], firstByteDelayMs: i < 10 + turns ? 0 : 50 });
        at.push(await read());
      }
      const lat = (await remoteRequests(info.url)).slice(before).map((r, i) => at[i] - r.firstByteAt!);
      return { hot: summarize(lat.slice(10, 10 + turns)), idle: summarize(lat.slice(10 + turns)) };
    };
    const sdk = await measure(viaSdk);
    const raw = await measure(viaHttp);
    agent.destroy();
    return { sdk, raw };
  } finally {
    await stop();
  }
}

async function natsHop(turns: number, cleanup: Cleanup) {
  const nats = await startTestNats();
  const stop = cleanup.add("test nats (components)", () => nats.stop());
  try {
    const nc = await nats.connect("cairn-bench-components");
    await ensureStreams(nc);
    const key = "bench";
    const js = jetstream(nc);
    const { state } = await (await js.streams.get(LIVE_STREAM)).info();
    const consumer = await js.consumers.get(LIVE_STREAM, {
      filter_subjects: subjects.liveSession(key),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: state.last_seq + 1,
    });
    let waiting: ((at: number) => void) | undefined;
    const messages = await consumer.consume({ callback: () => waiting?.(wallClockMs()) });
    const hop = () =>
      new Promise<number>((resolve) => {
        const t0 = wallClockMs();
        waiting = (at) => resolve(at - t0);
        publishLive(nc, key, { type: "run.delta", runId: "r1", index: 0, text: "hello " });
      });
    const r = await hotAndIdle(turns, hop);
    await messages.close();
    let coreWaiting: ((at: number) => void) | undefined;
    const coreSub = nc.subscribe("bench.core", { callback: () => coreWaiting?.(wallClockMs()) });
    const coreHop = () =>
      new Promise<number>((resolve) => {
        const t0 = wallClockMs();
        coreWaiting = (at) => resolve(at - t0);
        nc.publish("bench.core", JSON.stringify({ type: "run.delta", runId: "r1", index: 0, text: "hello " }));
      });
    const core = await hotAndIdle(turns, coreHop);
    coreSub.unsubscribe();
    await nc.close();
    return { js: r, core };
  } finally {
    await stop();
  }
}

async function edgeHop(turns: number, cleanup: Cleanup) {
  const nats = await startTestNats();
  const stopNats = cleanup.add("test nats (edge)", () => nats.stop());
  const uiDir = mkdtempSync(join(tmpdir(), "cairn-bench-ui-"));
  const removeUi = cleanup.add("ui dir", () => rmSync(uiDir, { recursive: true, force: true }));
  try {
    const nc = await nats.connect("cairn-bench-edge");
    await ensureStreams(nc);
    const status = {
      version: "0",
      model: null,
      modelHint: null,
      nats: { version: "2.9.10", connected: true },
      projections: { checkpoint: 0, logLastSeq: 0, lag: 0 },
    };
    const sub = serve(nc, subjects.query("status", "get"), () => status);
    const edge = await startEdge({ nc, host: "127.0.0.1", port: 0, uiDir, version: "bench", rateLimit: { ratePerSec: 1e6, burst: 1e6 } });
    const closeEdge = cleanup.add("edge", () => edge.close());
    const ws = await connectWs(`${edge.url}/ws`);
    try {
      if (!(await ws.request("connect", { protocol: 1, client: { name: "bench" } })).ok) throw new Error("connect refused");
      if (!(await ws.request("chat.subscribe", { sessionKey: "bench" })).ok) throw new Error("chat.subscribe refused");
      let index = 0;
      const hop = async () => {
        const i = index++;
        let at = 0;
        const got = ws.waitFor((f) => {
          if (f.type !== "event" || f.payload?.index !== i) return false;
          at = wallClockMs();
          return true;
        });
        const t0 = wallClockMs();
        publishLive(nc, "bench", { type: "run.delta", runId: "r1", index: i, text: "hello " });
        await got;
        return at - t0;
      };
      return await hotAndIdle(turns, hop);
    } finally {
      ws.destroy();
      sub.unsubscribe();
      await closeEdge();
      await nc.close();
    }
  } finally {
    await stopNats();
    await removeUi();
  }
}

export async function latencyComponents(turns: number, cleanup: Cleanup): Promise<Components> {
  const { sdk: provider, raw: rawHttp } = await providerHop(turns, cleanup);
  const { js, core } = await natsHop(turns, cleanup);
  return { provider, rawHttp, nats: js, core, edge: await edgeHop(turns, cleanup) };
}
