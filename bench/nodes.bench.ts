/**
 * cairn nodes benchmark, run by hand (never by the test suite; timings are reported, not asserted):
 *
 *   npx tsx bench/nodes.bench.ts            # full run (~2 min): n=200 round trips, 5 pairings, 50 nodes × 60 s
 *   npx tsx bench/nodes.bench.ts --quick    # n=100, 5 pairings, 50 nodes × 20 s
 *
 * Against a real gateway process (its embedded nats-server in operator/JWT mode):
 *  a. round trip of a trivial command (`true`) on a node: the gateway-side remote exec
 *     (`remoteExec(nc).sandboxFor(node).exec`, what the `exec` tool calls) → NATS → a real
 *     `cairn node add --foreground` process → `done` → result; sequential, after a warm-up;
 *  b. pairing to connected, for fresh node processes: request sent (the node's own line) →
 *     approved (`admin.nodes.approve` answered) → the node's first `out.hello` seen on the bus;
 *  c. 50 connected nodes (in-process `startNodeAgent`s in this process, each with its own key and
 *     JWT, telemetry every second instead of 30 s, heartbeats every 5 s): the gateway's and its
 *     nats-server's CPU and RSS over the window, next to the same window with no node connected.
 * Prints a table, then one JSON line with every number. Everything it starts is stopped.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import { remoteExec } from "../actors/remote/index.ts";
import { request, subjects } from "../bus/index.ts";
import { connectNats } from "../bus/server/index.ts";
import { formatCreds } from "../bus/server/nats.users.ts";
import { createNodeLogger, createTelemetrySampler, startNodeAgent, type NodeAgent } from "../cli/node/index.ts";
import { pairingRequestText, pairingStatusText, type NodeSummary, type NodeTelemetry } from "../schemas/index.ts";
import { startGatewayProc, type GatewayProc } from "../tests/fixtures/gateway.ts";
import { startNodeProcess } from "../tests/fixtures/node.ts";
import { Cleanup, cleanUpOnAbort, cpuTimeMs, processMemory, round, sleep, summarize, wallClockMs, type Summary } from "./lib/util.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  process.stdout.write("usage: npx tsx bench/nodes.bench.ts [--quick]\n");
  process.exit(0);
}
const quick = values.quick!;
const cfg = quick
  ? { roundTrips: 100, warmup: 10, pairings: 5, nodes: 50, windowSeconds: 20 }
  : { roundTrips: 200, warmup: 20, pairings: 5, nodes: 50, windowSeconds: 60 };
const log = (s: string) => process.stderr.write(`${s}\n`);

// Everything started is stopped on the way out, also on failure, Ctrl-C and the time limit.
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 5 * 60_000, log);

/** Subscribes now (flushed) to the first message on `subject`; `at` resolves with its arrival time. */
const firstMessageAt = async (nc: NatsConnection, subject: string): Promise<{ at: Promise<number> }> => {
  const at = new Promise<number>((resolve) => nc.subscribe(subject, { max: 1, callback: () => resolve(wallClockMs()) }));
  await nc.flush();
  return { at }; // wrapped: an async function returning a bare promise would wait for it
};

/** A node process paired through the real flow; times each step. */
async function pairProcess(gw: GatewayProc, admin: NatsConnection, nodeId: string) {
  const hello = await firstMessageAt(admin, subjects.nodeOut(nodeId, "hello"));
  const spawnedAt = wallClockMs();
  const p = startNodeProcess({ gatewayUrl: gw.url, name: `Bench ${nodeId}`, nodeId });
  cleanup.add("node process", () => p.stop());
  const line = await Promise.race([
    p.waitForLine(/pairing request \S+ sent/),
    sleep(30_000).then(() => Promise.reject(new Error(`no pairing request from ${nodeId}: ${p.stdout()}${p.stderr()}`))),
  ]);
  const sentAt = wallClockMs();
  const requestId = /pairing request (\S+) sent/.exec(line)![1]!;
  await request(admin, subjects.admin("nodes", "approve"), { requestId, by: "bench" });
  const approvedAt = wallClockMs();
  const helloAt = await hello.at;
  return {
    p,
    spawnToSentMs: sentAt - spawnedAt,
    sentToApprovedMs: approvedAt - sentAt,
    approvedToHelloMs: helloAt - approvedAt,
    sentToHelloMs: helloAt - sentAt,
  };
}

/** Pairs a node over the gateway's own bus subjects (what the HTTP edge forwards to) and returns its creds. */
async function pairOverBus(admin: NatsConnection, kp: KeyPair, nodeId: string): Promise<{ creds: string; natsPort: number }> {
  const sign = (text: string) => Buffer.from(kp.sign(new TextEncoder().encode(text))).toString("base64url");
  const r = {
    nodeId,
    name: `Load ${nodeId}`,
    publicKey: kp.getPublicKey(),
    hostname: "bench",
    platform: "linux-x64",
    workingDir: "/tmp",
    timestamp: Date.now(),
    nonce: `bench-${nodeId}-${Date.now()}-nonce`,
  };
  const sent = (await request(admin, subjects.admin("nodes", "pair_request"), {
    request: { ...r, signature: sign(pairingRequestText(r)) },
    address: "127.0.0.1",
  })) as { requestId: string };
  await request(admin, subjects.admin("nodes", "approve"), { requestId: sent.requestId, by: "bench" });
  const s = { requestId: sent.requestId, publicKey: kp.getPublicKey(), timestamp: Date.now() };
  const st = (await request(admin, subjects.admin("nodes", "pair_status"), {
    request: { ...s, signature: sign(pairingStatusText(s)) },
    address: "127.0.0.1",
  })) as { jwt: string; natsPort: number };
  return { creds: formatCreds(st.jwt, kp.getSeed()), natsPort: st.natsPort };
}

interface Usage {
  seconds: number;
  gatewayCpuPct: number;
  natsCpuPct: number;
  gatewayRssMb: { start: number; end: number; max: number };
  natsRssMb: { start: number; end: number; max: number };
}

/** CPU (% of one core) and RSS of the gateway and its nats-server over `seconds`, sampled every second. */
async function measureUsage(gwPid: number, natsPid: number, seconds: number): Promise<Usage> {
  const rss = (pid: number) => processMemory(pid)?.rssMb ?? NaN;
  const g0 = cpuTimeMs(gwPid);
  const n0 = cpuTimeMs(natsPid);
  const t0 = performance.now();
  const gs = [rss(gwPid)];
  const ns = [rss(natsPid)];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    gs.push(rss(gwPid));
    ns.push(rss(natsPid));
  }
  const elapsed = performance.now() - t0;
  const mem = (xs: number[]) => ({ start: xs[0]!, end: xs.at(-1)!, max: Math.max(...xs) });
  return {
    seconds: elapsed / 1000,
    gatewayCpuPct: ((cpuTimeMs(gwPid) - g0) / elapsed) * 100,
    natsCpuPct: ((cpuTimeMs(natsPid) - n0) / elapsed) * 100,
    gatewayRssMb: mem(gs),
    natsRssMb: mem(ns),
  };
}

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "?",
  loadAvgAtStart: loadavg().map((x) => round(x)),
};
log(
  `cairn nodes bench (${quick ? "quick" : "full"}) on ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAvgAtStart.join(" ")}`,
);

let roundTrip: (Summary & { warmup: number; failures: number }) | null = null;
let pairing: {
  runs: number;
  spawnToSentMs: Summary;
  sentToApprovedMs: Summary;
  approvedToHelloMs: Summary;
  sentToHelloMs: Summary;
} | null = null;
let load: { nodes: number; online: number; telemetryEveryMs: number; telemetryReceived: number; idle: Usage; loaded: Usage } | null = null;
let failed = false;
const t0 = performance.now();
try {
  const gw = await startGatewayProc({ model: null, extraEnv: { DOCKER_HOST: "unix:///nonexistent.sock" } });
  cleanup.add("gateway", () => gw.dispose());
  const info = JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string; cliCreds: string };
  // The gateway's creds: the bench watches node traffic, which the CLI's user may not see.
  const admin = await connectNats({
    url: info.natsUrl,
    credsFile: join(gw.dataDir, "nats", "creds", "gateway.creds"),
    name: "bench-admin",
  });
  cleanup.add("admin connection", () => admin.close());
  await request(admin, subjects.admin("nodes", "pairing"), { open: true, minutes: 30, by: "bench" });

  // b. pairing to connected (the first one also serves a.)
  log(`b. pairing to connected: ${cfg.pairings} fresh node processes, one after the other`);
  const runs: Array<Awaited<ReturnType<typeof pairProcess>>> = [];
  for (let i = 0; i < cfg.pairings; i++) runs.push(await pairProcess(gw, admin, `pair${i}`));
  pairing = {
    runs: runs.length,
    spawnToSentMs: summarize(runs.map((r) => r.spawnToSentMs)),
    sentToApprovedMs: summarize(runs.map((r) => r.sentToApprovedMs)),
    approvedToHelloMs: summarize(runs.map((r) => r.approvedToHelloMs)),
    sentToHelloMs: summarize(runs.map((r) => r.sentToHelloMs)),
  };

  // a. round trip of `true` on the first node
  log(`a. round trip of 'true' on a node: ${cfg.warmup} warm-up + ${cfg.roundTrips}`);
  const remote = remoteExec(admin);
  cleanup.add("remote exec", () => remote.stop());
  const sandbox = remote.sandboxFor({ id: "pair0", name: "Bench pair0" });
  const times: number[] = [];
  let failures = 0;
  for (let i = 0; i < cfg.warmup + cfg.roundTrips; i++) {
    const start = performance.now();
    const r = await sandbox.exec({ command: "true", timeoutMs: 10_000, maxOutputBytes: 4096 });
    const ms = performance.now() - start;
    if (r.exitCode !== 0) failures++;
    if (i >= cfg.warmup) times.push(ms);
  }
  roundTrip = { ...summarize(times), warmup: cfg.warmup, failures };
  for (const r of runs) await r.p.stop();

  // c. 50 nodes reporting telemetry
  log(
    `c. ${cfg.nodes} connected nodes, telemetry every 1 s: gateway CPU and RSS over ${cfg.windowSeconds} s (after ${cfg.windowSeconds} s with none)`,
  );
  const natsPid = Number(readFileSync(join(gw.dataDir, "nats", "nats-server.pid"), "utf8").split("\n")[0]);
  const gwPid = gw.child.pid!;
  await sleep(2000);
  const idle = await measureUsage(gwPid, natsPid, cfg.windowSeconds);
  const dir = mkdtempSync(join(tmpdir(), "cairn-nodes-bench-"));
  cleanup.add("temp dir", () => rmSync(dir, { recursive: true, force: true }));
  // One real sample, re-stamped per report: 50 agents probing runtimes would measure this box, not the gateway.
  const sample: NodeTelemetry = await createTelemetrySampler({ env: process.env, now: Date.now }).sample();
  let received = 0;
  admin.subscribe("node.*.out.telemetry", { callback: () => void received++ });
  const agents: NodeAgent[] = [];
  for (let i = 0; i < cfg.nodes; i++) {
    const nodeId = `load${String(i).padStart(2, "0")}`;
    const { creds, natsPort } = await pairOverBus(admin, createUser(), nodeId);
    const credsFile = join(dir, `${nodeId}.creds`);
    writeFileSync(credsFile, creds, { mode: 0o600 });
    const agent = startNodeAgent({
      nodeId,
      name: `Load ${nodeId}`,
      workingDir: dir,
      maxTimeoutSeconds: 60,
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      credsFile,
      outputDir: join(dir, "out", nodeId),
      log: createNodeLogger({ file: join(dir, `${nodeId}.log`), console: null }),
      telemetryMs: 1000,
      telemetry: async () => ({ ...sample, at: Date.now() }),
    });
    cleanup.add("node agent", () => agent.stop());
    agents.push(agent);
  }
  await Promise.all(agents.map((a) => a.whenConnected()));
  await sleep(3000);
  received = 0;
  const loaded = await measureUsage(gwPid, natsPid, cfg.windowSeconds);
  const telemetryReceived = received;
  const listed = ((await request(admin, subjects.query("nodes", "list"), {})) as { nodes: NodeSummary[] }).nodes;
  load = {
    nodes: cfg.nodes,
    online: listed.filter((n) => n.nodeId.startsWith("load") && n.online && n.telemetry).length,
    telemetryEveryMs: 1000,
    telemetryReceived,
    idle,
    loaded,
  };
} catch (e) {
  failed = true;
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup.runAll();
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const pcts = (s: Summary, d = 1) => `p50 ${f(s.p50, d)}  p90 ${f(s.p90, d)}  p99 ${f(s.p99, d)}  max ${f(s.max, d)}`;
const lines: string[] = [];
if (roundTrip)
  lines.push(
    `a. 'true' on a node, gateway → node → result, ms (n=${roundTrip.n}, ${roundTrip.failures} failed)`,
    `   ${pcts(roundTrip, 2)}`,
  );
if (pairing) {
  lines.push(`b. pairing to connected, ms (n=${pairing.runs} node processes)`);
  lines.push(`   spawn → request sent      ${pcts(pairing.spawnToSentMs, 0)}`);
  lines.push(`   request sent → approved   ${pcts(pairing.sentToApprovedMs, 0)}`);
  lines.push(`   approved → hello on bus   ${pcts(pairing.approvedToHelloMs, 0)}`);
  lines.push(`   request sent → hello      ${pcts(pairing.sentToHelloMs, 0)}`);
}
if (load) {
  const u = (name: string, x: Usage) =>
    `   ${name.padEnd(28)} gateway ${f(x.gatewayCpuPct)}% CPU, RSS ${f(x.gatewayRssMb.start)} → ${f(x.gatewayRssMb.end)} MB (max ${f(x.gatewayRssMb.max)}); nats-server ${f(x.natsCpuPct)}% CPU, RSS max ${f(x.natsRssMb.max)} MB`;
  lines.push(
    `c. ${load.nodes} nodes (${load.online} online with telemetry), ${load.telemetryReceived} telemetry messages in ${f(load.loaded.seconds, 0)} s`,
  );
  lines.push(u("no node connected", load.idle), u(`${load.nodes} nodes, telemetry 1/s`, load.loaded));
}
const result = {
  bench: "cairn-nodes",
  mode: quick ? "quick" : "full",
  machine: { ...machine, loadAvgAtEnd: loadavg().map((x) => round(x)) },
  totalSeconds: round((performance.now() - t0) / 1000, 1),
  roundTrip,
  pairing,
  load,
  failed,
};
process.stdout.write(`${lines.join("\n")}\n`);
process.stdout.write(`${JSON.stringify(result, (_k, v) => (typeof v === "number" ? round(v, 3) : v))}\n`);
process.exit(failed ? 1 : 0);
