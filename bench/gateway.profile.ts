/**
 * Where the gateway's start-up time, memory and per-message CPU go. Run by hand when
 * `gateway.bench.ts` misses a target:
 *
 *   npx tsx bench/gateway.profile.ts [--only components,rss,startup,modules,deps,latency] [--messages 100]
 *
 * - startup: a warm start (bundle built, data dir initialised) with a CPU profile from the preload
 *   to the "ready" line: self time per package, a timeline of the start-up steps; memory at ready
 *   and after 3 s idle (heap vs the rest).
 * - modules: the same with a module-load hook, to count the modules loaded per package.
 * - components: the token path's pieces alone (provider SDK hop, NATS live-stream hop), hot and idle.
 * - rss: idle RSS of a gateway under memory-related runtime settings (semi-space cap, malloc arenas).
 * - deps: RSS of a bare Node process after importing each dependency alone (fresh process each).
 * - latency: a CPU profile of the gateway over the measured messages of a latency run, self time
 *   per message per package, and the event-loop delay meanwhile.
 *
 * The gateway is instrumented only through `NODE_OPTIONS=--import bench/probe/preload.mjs`.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { connectNats } from "../bus/server/index.ts";
import { attribute, categoryOf, readProfile, spans, type Attribution } from "./probe/cpuprofile.ts";
import { runLatency } from "./lib/latency.ts";
import { latencyComponents } from "./probe/components.ts";
import { snapshotTree, startOnce } from "./lib/startup.ts";
import { Cleanup, sleep } from "./lib/util.ts";

const { values } = parseArgs({ options: { only: { type: "string" }, messages: { type: "string" } } });
const only = new Set((values.only ?? "components,rss,startup,modules,deps,latency").split(","));
const messages = Number(values.messages ?? 100);
const PRELOAD = new URL("./probe/preload.mjs", import.meta.url).href;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const cleanup = new Cleanup();
const out = (s = "") => process.stdout.write(`${s}\n`);
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(d, () => rmSync(d, { recursive: true, force: true }));
  return d;
};
process.on("SIGINT", () => void cleanup.runAll().finally(() => process.exit(130)));

const waitFile = async (file: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} not written within ${ms} ms`);
    await sleep(20);
  }
};
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function printAttribution(a: Attribution, per = 1, unit = "ms") {
  const total = a.byCategory.reduce((s, c) => s + c.ms, 0);
  out(`  self time by where the code lives (${unit}${per > 1 ? " per message" : ""}; window ${a.windowMs.toFixed(0)} ms):`);
  for (const c of a.byCategory.slice(0, 16))
    out(`    ${(c.ms / per).toFixed(2).padStart(8)}  ${((c.ms / total) * 100).toFixed(1).padStart(5)} %  ${c.name}`);
  out(`  top functions (self ${unit}${per > 1 ? " per message" : ""}):`);
  for (const f of a.topFunctions) out(`    ${(f.ms / per).toFixed(2).padStart(8)}  ${f.category.padEnd(22)} ${f.name}`);
}

async function profileStartup(hooks: boolean) {
  out(`== startup (warm data dir, bundle already built)${hooks ? ", with a module-load hook (slower loading; lists modules)" : ""} ==`);
  const bin = snapshotTree(tempDir("cairn-prof-tree-"));
  const dataDir = tempDir("cairn-prof-data-");
  const probeDir = tempDir("cairn-prof-probe-");
  await startOnce({ label: "fresh", bin, dataDir, cleanup }); // builds dist/, creates the NATS identity
  const run = await startOnce({
    label: "warm",
    bin,
    dataDir,
    cleanup,
    extraEnv: {
      NODE_OPTIONS: `--import ${PRELOAD}`,
      CAIRN_BENCH_PROBE_DIR: probeDir,
      CAIRN_BENCH_PROFILE: "startup",
      CAIRN_BENCH_PROBE_HOOKS: hooks ? "1" : "0",
      CAIRN_BENCH_PROBE_GC: hooks ? "0" : "1",
    },
    onReady: async (child: ChildProcess) => {
      await waitFile(join(probeDir, "startup.cpuprofile"));
      child.kill("SIGUSR2");
      await waitFile(join(probeDir, "report-1.json"));
      await sleep(3000);
      child.kill("SIGUSR2");
      await waitFile(join(probeDir, "report-2.json"));
    },
  });
  const r1 = readJson(join(probeDir, "report-1.json"));
  const r2 = readJson(join(probeDir, "report-2.json"));
  out(
    `  spawn → ready ${run.readyMs.toFixed(0)} ms (profiled, so slower); Node ran the preload ${r1.sinceProcessStartMs.toFixed(0)} ms after process start; gateway's own "ready in" ${run.internalMs} ms`,
  );
  const profile = readProfile(join(probeDir, "startup.cpuprofile"));
  printAttribution(attribute(profile));
  out("  timeline (ms after the preload; first → last sample with the function on the stack; CPU inside):");
  const phases = [
    "main",
    "runGateway",
    "startGateway",
    "startEmbeddedNats",
    "checkNatsServerVersion",
    "ensureNatsAuth",
    "stopStaleServers",
    "waitForNatsReady",
    "connectNats",
    "ensureStreams",
    "catchUp",
    "startActorSystem",
    "recover",
    "startEdge",
  ];
  for (const s of spans(profile, phases))
    out(`    ${s.firstMs.toFixed(0).padStart(6)} → ${s.lastMs.toFixed(0).padStart(5)}   cpu ${s.cpuMs.toFixed(0).padStart(4)}  ${s.name}`);
  const nacl = attribute(profile).byCategory.find((c) => c.name === "tweetnacl");
  if (nacl) out(`  tweetnacl (Ed25519 in pure JS: nkeys seeds, JWT signatures, connect nonce): ${nacl.ms.toFixed(0)} ms CPU`);

  if (!hooks) {
    memoryReport(r1, r2);
    return;
  }
  const modules = new Map<string, number>();
  const seen = new Set<string>();
  for (const url of [...r1.esm, ...r1.cjs.map((p: string) => pathToFileURL(p).href)]) {
    if (seen.has(url) || url.startsWith("node:")) continue;
    seen.add(url);
    const c = categoryOf({ functionName: "", url, lineNumber: 0 });
    modules.set(c, (modules.get(c) ?? 0) + 1);
  }
  out(`  modules loaded by ready: ${seen.size} files`);
  for (const [name, n] of [...modules].sort((a, b) => b[1] - a[1]).slice(0, 14)) out(`    ${String(n).padStart(5)}  ${name}`);

  memoryReport(r1, r2);
}

function memoryReport(r1: any, r2: any) {
  const rows: Array<[string, any]> = [
    ["at ready", r1.readyMemory],
    ["after 3 s idle", r2.memoryBeforeGc],
  ];
  if (r2.memory.rss !== r2.memoryBeforeGc.rss) rows.push(["after a forced full GC", r2.memory]);
  for (const [label, m] of rows) {
    out(
      `  memory ${label}: rss ${mb(m.rss)} = V8 heap ${mb(m.heapTotal)} (used ${mb(m.heapUsed)}) + external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}) + other ${mb(m.rss - m.heapTotal - m.external)} (code, native modules, stacks, allocator)`,
    );
  }
  out(`  V8 heap spaces after idle: ${r2.spaces.map((s: any) => `${s.name.replace(/_space$/, "")} ${mb(s.size)}`).join(", ")}`);
  out();
}

function profileDeps() {
  out("== RSS of a fresh node process after importing one dependency (gc'd) ==");
  const gatewayChunk = (() => {
    const dir = join(ROOT, "dist", "cli");
    const f = existsSync(dir)
      ? spawnSync("ls", [dir], { encoding: "utf8" })
          .stdout.split("\n")
          .find((x) => x.startsWith("gateway-"))
      : undefined;
    return f ? pathToFileURL(join(dir, f)).href : null;
  })();
  const specs = [
    "-",
    "effect/Schema",
    "xstate",
    "@nats-io/transport-node",
    "@nats-io/jetstream",
    "@nats-io/kv",
    "@nats-io/nkeys",
    "@nats-io/jwt",
    "openai",
    "@anthropic-ai/sdk",
    "better-sqlite3",
    "uWebSockets.js",
    "smol-toml",
  ];
  if (gatewayChunk) specs.push(gatewayChunk);
  const code = `const s=process.env.SPEC;const t=performance.now();if(s!=="-")await import(s);const ms=performance.now()-t;gc();gc();const m=process.memoryUsage();console.log(JSON.stringify({rss:m.rss,heap:m.heapUsed,ab:m.arrayBuffers,ms}))`;
  let base = 0;
  for (const spec of specs) {
    const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], {
      cwd: ROOT,
      env: { ...process.env, SPEC: spec, NODE_OPTIONS: "" },
      encoding: "utf8",
    });
    if (r.status !== 0) {
      out(`    ${spec}: failed: ${r.stderr.split("\n")[0]}`);
      continue;
    }
    const m = JSON.parse(r.stdout);
    if (spec === "-") base = m.rss;
    const name = spec === "-" ? "bare node (baseline)" : spec === gatewayChunk ? "the whole gateway bundle (dist/cli/gateway-*.js)" : spec;
    out(
      `    ${mb(m.rss).padStart(9)}  ${spec === "-" ? "" : `+${mb(m.rss - base)}`.padStart(9)}  heap ${mb(m.heap).padStart(8)}  array buffers ${mb(m.ab).padStart(7)}  import ${m.ms.toFixed(0).padStart(4)} ms  ${name}`,
    );
  }
  out();
}

async function profileLatency() {
  out(`== gateway CPU during ${messages} measured messages of the latency run ==`);
  const probeDir = tempDir("cairn-prof-probe-");
  let tap: Awaited<ReturnType<typeof wiretap>> | undefined;
  const r = await runLatency({
    messages,
    warmup: 10,
    idleSeconds: 0,
    cleanup,
    log: () => undefined,
    gatewayEnv: { NODE_OPTIONS: `--import ${PRELOAD}`, CAIRN_BENCH_PROBE_DIR: probeDir, CAIRN_BENCH_PROFILE: "window" },
    onMeasure: async (phase, gw) => {
      if (phase === "start") tap = await wiretap(gw.dataDir);
      else tap?.stop();
      process.kill(gw.pid, "SIGUSR2");
      await waitFile(join(probeDir, `report-${phase === "start" ? 1 : 2}.json`));
      if (phase === "end") await waitFile(join(probeDir, "window.cpuprofile"));
    },
  });
  const s = r.fromFirstByte;
  out(
    `  (profiled) first byte → run.delta p50 ${s.p50.toFixed(2)} p90 ${s.p90.toFixed(2)} p99 ${s.p99.toFixed(2)} ms; CPU per message gateway ${r.cpuMsPerMessage.gateway.toFixed(2)} ms, nats-server ${r.cpuMsPerMessage.nats.toFixed(2)} ms`,
  );
  const eld = readJson(join(probeDir, "report-2.json")).eventLoopDelayMs;
  out(
    `  gateway event-loop delay over the window: p50 ${eld.p50.toFixed(2)} p90 ${eld.p90.toFixed(2)} p99 ${eld.p99.toFixed(2)} max ${eld.max.toFixed(2)} ms`,
  );
  printAttribution(attribute(readProfile(join(probeDir, "window.cpuprofile")), messages));
  if (tap) {
    const counts = [...tap.counts].sort((a, b) => b[1] - a[1]);
    const total = counts.reduce((s, [, n]) => s + n, 0);
    out(`  NATS messages per chat turn (all subjects, seen by a ">" subscriber): ${(total / messages).toFixed(1)}`);
    for (const [subject, n] of counts.slice(0, 20)) out(`    ${(n / messages).toFixed(1).padStart(6)}  ${subject}`);
  }
  out();
}

/** Subject shapes: ids and inbox tokens become `*`. */
const shape = (subject: string): string => {
  const t = subject.split(".");
  if (t[0] === "_INBOX") return "_INBOX.* (replies)";
  if (t[0] === "$JS" && t[1] === "ACK") return "$JS.ACK.* (consumer acks)";
  if (t[0] === "$JS" && t[1] === "API")
    return (
      t
        .slice(0, t[2] === "CONSUMER" || t[2] === "STREAM" ? 6 : 4)
        .join(".")
        .replace(/\.(?=[^.]*$)/, ".") + (t.length > 6 ? ".*" : "")
    );
  if (t[0] === "$JS" && t[1] === "FC") return "$JS.FC.* (flow control)";
  if (t[0] === "$KV") return `$KV.${t[1]}.*`;
  if (t[0] === "cmd") return `cmd.${t[1]}.*.${t.slice(3).join(".")}`;
  if (t[0] === "evt" || t[0] === "live") return t.length > 2 ? `${t[0]}.${t[1]}.*` : subject;
  return t.slice(0, 3).join(".");
};

/** Counts every message on the gateway's NATS account by subject shape (the gateway's creds: the CLI's may not listen to everything). */
async function wiretap(dataDir: string) {
  const runtime = readJson(join(dataDir, "gateway.json"));
  const nc = await connectNats({
    url: runtime.natsUrl,
    credsFile: join(dataDir, "nats", "creds", "gateway.creds"),
    name: "cairn-bench-tap",
  });
  const counts = new Map<string, number>();
  nc.subscribe(">", {
    callback: (_e, m) => {
      // A JetStream delivery carries the stored message's subject and an ack reply subject.
      const k = `${m.reply?.startsWith("$JS.ACK.") ? "delivered to a consumer: " : ""}${shape(m.subject)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    },
  });
  await nc.flush();
  cleanup.add("wiretap", () => nc.close());
  return { counts, stop: () => void nc.close() };
}

/** Idle RSS of the latency-run gateway under memory-related settings (no product change needed). */
async function rssVariants() {
  out(`== gateway RSS (MB) after start / after ${messages} turns + 5 s idle, under runtime settings ==`);
  const variants: Array<[string, NodeJS.ProcessEnv]> = [
    ["as is", {}],
    ["NODE_OPTIONS=--max-semi-space-size=2", { NODE_OPTIONS: "--max-semi-space-size=2" }],
    ["MALLOC_ARENA_MAX=2", { MALLOC_ARENA_MAX: "2" }],
    ["both", { NODE_OPTIONS: "--max-semi-space-size=2", MALLOC_ARENA_MAX: "2" }],
  ];
  for (const [name, env] of variants) {
    const r = await runLatency({ messages, warmup: 10, idleSeconds: 5, cleanup, log: () => undefined, gatewayEnv: env });
    const m = r.memory;
    out(
      `    ${m.afterStart.gatewayMb.toFixed(1).padStart(6)} / ${m.afterIdle.gatewayMb.toFixed(1).padStart(6)}   peak ${m.afterIdle.gatewayPeakMb.toFixed(1).padStart(6)}   latency p50 ${r.fromFirstByte.p50.toFixed(2)} ms, gateway CPU ${r.cpuMsPerMessage.gateway.toFixed(1)} ms/turn   ${name}`,
    );
  }
  // As is, but a full (memory-reducing) GC forced through the inspector after the idle period.
  const probeDir = tempDir("cairn-prof-probe-");
  let gc: { before: number; after: number } | undefined;
  await runLatency({
    messages,
    warmup: 10,
    idleSeconds: 0,
    cleanup,
    log: () => undefined,
    gatewayEnv: {
      NODE_OPTIONS: `--import ${PRELOAD}`,
      CAIRN_BENCH_PROBE_DIR: probeDir,
      CAIRN_BENCH_PROBE_HOOKS: "0",
      CAIRN_BENCH_PROBE_GC: "1",
    },
    onMeasure: async (phase, gw) => {
      if (phase !== "end") return;
      await sleep(5000);
      process.kill(gw.pid, "SIGUSR2");
      await waitFile(join(probeDir, "report-1.json"));
      const r = readJson(join(probeDir, "report-1.json"));
      gc = { before: r.memoryBeforeGc.rss, after: r.memory.rss };
    },
  });
  if (gc) out(`    after run + 5 s idle: ${mb(gc.before)} → after a forced full GC: ${mb(gc.after)}   (as is, preload only)`);
  out();
}

async function components() {
  out("== the token path's pieces alone (ms): p50 / p90 / p99 / max ==");
  const c = await latencyComponents(50, cleanup);
  const p = (s: { p50: number; p90: number; p99: number; max: number }) =>
    `${s.p50.toFixed(2)} / ${s.p90.toFixed(2)} / ${s.p99.toFixed(2)} / ${s.max.toFixed(2)}`;
  out(`    provider first byte → OpenAI SDK yields the delta   hot ${p(c.provider.hot)}   idle ${p(c.provider.idle)}`);
  out(`    same reply, node:http + minimal SSE split (no SDK)  hot ${p(c.rawHttp.hot)}   idle ${p(c.rawHttp.idle)}`);
  out(`    publishLive → edge-style live consumer callback     hot ${p(c.nats.hot)}   idle ${p(c.nats.idle)}`);
  out(`    same publish → core NATS subscription (no JS)      hot ${p(c.core.hot)}   idle ${p(c.core.idle)}`);
  out(`    publishLive → edge → WS client (one process)        hot ${p(c.edge.hot)}   idle ${p(c.edge.idle)}`);
  out();
}

try {
  if (only.has("components")) await components();
  if (only.has("rss")) await rssVariants();
  if (only.has("startup")) await profileStartup(false);
  if (only.has("modules")) await profileStartup(true);
  if (only.has("deps")) profileDeps();
  if (only.has("latency")) await profileLatency();
} finally {
  await cleanup.runAll();
}
