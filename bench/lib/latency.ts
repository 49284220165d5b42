/**
 * Sections 1 and 3: the latency the gateway adds between the provider's first streamed byte and
 * the WebSocket client's first `run.delta`, and the idle memory of the gateway and its nats-server.
 *
 * The scripted LLM server runs in this process, so its `firstByteAt` and the client's receive
 * time come from the same clock. Its reply player writes the headers together with the first SSE
 * event (the OpenAI role chunk, no text) and then the first text chunk as a separate write, once
 * the first write's callback ran. So besides `firstByteAt` we timestamp that first text write by
 * wrapping `ServerResponse.prototype.write` here (bench-only instrumentation, restored after).
 */
import { ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startGatewayProc } from "../../tests/fixtures/gateway.ts";
import { startLlmServer } from "../../tests/fixtures/llm-server/index.ts";
import { connectWs, type Frame, type WsClient } from "../../tests/fixtures/ws-client.ts";
import { childProcesses, cpuTimeMs, processMemory, sleep, summarize, wallClockMs, type Cleanup, type Summary } from "./util.ts";

export interface MemorySample {
  gatewayMb: number;
  gatewayPeakMb: number;
  natsMb: number;
  /** Other children of the gateway (e.g. an esbuild service under a TypeScript loader), by command name. */
  otherChildrenMb: Record<string, number>;
}

export interface LatencyResult {
  messages: number;
  warmup: number;
  /** client first run.delta − provider firstByteAt (headers + role chunk written). */
  fromFirstByte: Summary;
  /** client first run.delta − the provider's write of the first text chunk. */
  fromFirstTextWrite: Summary;
  /** The fixture's own gap between firstByteAt and its first text write. */
  fixtureGap: Summary;
  /** The same for turns whose provider sent its first byte 50 ms after the request (every process idle by then). */
  delayed: { messages: number; fromFirstByte: Summary } | null;
  /** chat.send request sent → its `res` frame. */
  sendAck: Summary;
  /** chat.send sent → first run.delta at the client (the whole turn's time to first token). */
  sendToFirstDelta: Summary;
  /** chat.send sent → run.ended at the client. */
  sendToEnded: Summary;
  rateLimitedRetries: number;
  /** CPU time (user + system) per measured message: the whole turn, not only the first delta. */
  cpuMsPerMessage: { gateway: number; nats: number; bench: number };
  memory: { afterStart: MemorySample; afterIdle: MemorySample; idleSeconds: number };
}

/** One chat.send per 35 ms at most: under the edge's 30 requests/s per connection. */
const PACE_MS = 35;

const DELTA_MARK = /"content":"bm(\d+)c0 /;

/** Records when the first text chunk of each scripted reply is handed to the socket. */
function instrumentWrites(): { textWriteAt: Map<number, number>; restore: () => void } {
  const textWriteAt = new Map<number, number>();
  const original = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function (this: ServerResponse, chunk: any, ...rest: any[]) {
    const at = wallClockMs();
    if (chunk instanceof Uint8Array || typeof chunk === "string") {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
      const m = DELTA_MARK.exec(text);
      if (m && !textWriteAt.has(Number(m[1]))) textWriteAt.set(Number(m[1]), at);
    }
    return (original as any).call(this, chunk, ...rest);
  } as typeof original;
  return {
    textWriteAt,
    restore: () => {
      ServerResponse.prototype.write = original;
    },
  };
}

const isChat = (f: Frame, type: string) => f.type === "event" && f.event === "chat" && f.payload?.type === type;

const natsPidOf = (dataDir: string): number => Number(readFileSync(join(dataDir, "nats", "nats-server.pid"), "utf8").split("\n")[0]);

function sampleMemory(gatewayPid: number, dataDir: string): MemorySample {
  const gw = processMemory(gatewayPid);
  const natsPid = natsPidOf(dataDir);
  const nats = processMemory(natsPid);
  const otherChildrenMb: Record<string, number> = {};
  for (const c of childProcesses(gatewayPid)) {
    if (c.pid === natsPid) continue;
    otherChildrenMb[c.comm] = (otherChildrenMb[c.comm] ?? 0) + (processMemory(c.pid)?.rssMb ?? 0);
  }
  return { gatewayMb: gw?.rssMb ?? NaN, gatewayPeakMb: gw?.peakMb ?? NaN, natsMb: nats?.rssMb ?? NaN, otherChildrenMb };
}

/** chat.send, retried while the edge's per-connection rate limit (30/s, burst 60) refuses it. */
async function send(ws: WsClient, params: unknown, onRetry: () => void): Promise<Frame> {
  for (;;) {
    const res = await ws.request("chat.send", params);
    if (res.ok) return res;
    if (res.error?.code !== "rate_limited") throw new Error(`chat.send failed: ${JSON.stringify(res.error)}`);
    onRetry();
    await sleep(50);
  }
}

export interface LatencyOptions {
  messages: number;
  warmup: number;
  idleSeconds: number;
  cleanup: Cleanup;
  log: (s: string) => void;
  /** Extra environment for the gateway (the profiler passes NODE_OPTIONS). */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** The provider waits this long before its first byte in the measured turns (0: at once). */
  firstByteDelayMs?: number;
  /** Turns run after the measured ones with the provider's first byte 50 ms late (0: none). */
  delayedMessages?: number;
  /** Called when the measured messages start and when they are done. */
  onMeasure?: (phase: "start" | "end", gateway: { pid: number; dataDir: string }) => Promise<void>;
}

export async function runLatency(o: LatencyOptions): Promise<LatencyResult> {
  const { cleanup, log } = o;
  const instr = instrumentWrites();
  const restoreWrites = cleanup.add("restore ServerResponse.write", instr.restore);
  const llm = await startLlmServer();
  const closeLlm = cleanup.add("llm server", () => llm.close());
  const gw = await startGatewayProc({ llmBaseUrl: llm.url, ...(o.gatewayEnv ? { extraEnv: o.gatewayEnv } : {}) });
  const disposeGw = cleanup.add("latency gateway", () => gw.dispose());
  try {
    const ws = await connectWs(`${gw.url.replace(/^http/, "ws")}/ws`);
    cleanup.add("ws client", () => ws.destroy());
    const hello = await ws.request("connect", { protocol: 1, client: { name: "bench" } });
    if (!hello.ok) throw new Error(`connect refused: ${JSON.stringify(hello)}`);
    const afterStart = sampleMemory(gw.child.pid!, gw.dataDir);

    const created = await ws.request("sessions.create", {});
    if (!created.ok) throw new Error(`sessions.create failed: ${JSON.stringify(created)}`);
    const sessionKey: string = created.payload.key;
    const sub = await ws.request("chat.subscribe", { sessionKey });
    if (!sub.ok) throw new Error(`chat.subscribe failed: ${JSON.stringify(sub)}`);

    const gwPid = gw.child.pid!;
    const natsPid = natsPidOf(gw.dataDir);
    let retries = 0;
    let n = 0;
    let lastSendAt = 0;
    /** One chat turn: send, first run.delta, run.ended; the timings of interest, in epoch ms. */
    const turn = async (firstByteDelayMs: number) => {
      const i = n++;
      const text = `bench message ${i}`;
      llm.script({ chunks: [`bm${i}c0 `, "streamed ", "reply."], firstByteDelayMs, chunkDelayMs: 0 });
      let deltaAt = 0;
      // Registered before sending: the first delta can overtake the chat.send reply.
      const firstDelta = ws.waitFor((f) => {
        if (!isChat(f, "run.delta") || f.payload.index !== 0) return false;
        deltaAt = wallClockMs();
        return true;
      }, 30_000);
      firstDelta.catch(() => undefined);
      // Stay under the edge's per-connection rate limit (30 requests/s) instead of being refused.
      const wait = lastSendAt + PACE_MS - wallClockMs();
      if (wait > 0) await sleep(wait);
      const sentAt = wallClockMs();
      lastSendAt = sentAt;
      const res = await send(ws, { sessionKey, text }, () => retries++);
      const ackAt = wallClockMs();
      const runId: string = res.payload.runId;
      const d = await firstDelta;
      if (d.payload.runId !== runId) throw new Error(`first delta of run ${d.payload.runId}, expected ${runId}`);
      const ended = await ws.waitFor((f) => isChat(f, "run.ended") && f.payload.runId === runId, 30_000);
      const endedAt = wallClockMs();
      if (ended.payload.status !== "completed")
        throw new Error(`run ${runId} ended ${ended.payload.status}: ${JSON.stringify(ended.payload.error)}`);
      // Frames of no interest here (run.started, later deltas, session.updated) would pile up.
      ws.inbox.splice(0);
      const rec = llm.requests[i];
      const lastUser = [...(rec?.body?.messages ?? [])].reverse().find((m: any) => m.role === "user");
      if (!rec || lastUser?.content !== text || rec.firstByteAt === null) throw new Error(`LLM request ${i} does not match message ${i}`);
      const textAt = instr.textWriteAt.get(i);
      if (textAt === undefined) throw new Error(`no text write recorded for message ${i}`);
      return { sentAt, ackAt, deltaAt, endedAt, firstByteAt: rec.firstByteAt, textAt };
    };

    for (let i = 0; i < o.warmup; i++) await turn(0);
    await o.onMeasure?.("start", { pid: gwPid, dataDir: gw.dataDir });
    const cpu0 = { gateway: cpuTimeMs(gwPid), nats: cpuTimeMs(natsPid), bench: cpuTimeMs(process.pid) };
    const turns: Array<Awaited<ReturnType<typeof turn>>> = [];
    for (let i = 0; i < o.messages; i++) {
      turns.push(await turn(o.firstByteDelayMs ?? 0));
      if ((i + 1) % 50 === 0) log(`  latency: ${i + 1}/${o.messages} messages`);
    }
    const cpuMsPerMessage = {
      gateway: (cpuTimeMs(gwPid) - cpu0.gateway) / o.messages,
      nats: (cpuTimeMs(natsPid) - cpu0.nats) / o.messages,
      bench: (cpuTimeMs(process.pid) - cpu0.bench) / o.messages,
    };
    await o.onMeasure?.("end", { pid: gwPid, dataDir: gw.dataDir });
    // The same again with the provider answering 50 ms after the request, as real providers do
    // (their time to first token is 100s of ms): by then the gateway has finished the turn's other
    // work (appends, projections, notifications) and every process on the path is idle.
    const delayed: typeof turns = [];
    for (let i = 0; i < (o.delayedMessages ?? 0); i++) delayed.push(await turn(50));
    await sleep(o.idleSeconds * 1000);
    const afterIdle = sampleMemory(gw.child.pid!, gw.dataDir);
    await ws.close().catch(() => undefined);
    return {
      messages: o.messages,
      warmup: o.warmup,
      fromFirstByte: summarize(turns.map((t) => t.deltaAt - t.firstByteAt)),
      fromFirstTextWrite: summarize(turns.map((t) => t.deltaAt - t.textAt)),
      fixtureGap: summarize(turns.map((t) => t.textAt - t.firstByteAt)),
      delayed: delayed.length
        ? { messages: delayed.length, fromFirstByte: summarize(delayed.map((t) => t.deltaAt - t.firstByteAt)) }
        : null,
      sendAck: summarize(turns.map((t) => t.ackAt - t.sentAt)),
      sendToFirstDelta: summarize(turns.map((t) => t.deltaAt - t.sentAt)),
      sendToEnded: summarize(turns.map((t) => t.endedAt - t.sentAt)),
      rateLimitedRetries: retries,
      cpuMsPerMessage,
      memory: { afterStart, afterIdle, idleSeconds: o.idleSeconds },
    };
  } finally {
    await disposeGw();
    await closeLlm();
    await restoreWrites();
  }
}
