/**
 * A bench-only preload for a gateway under investigation, loaded with
 * `NODE_OPTIONS="--import <this file's URL>"` (product code is untouched). Writes into
 * $CAIRN_BENCH_PROBE_DIR:
 *  - `report-<n>.json` on each SIGUSR2: process.memoryUsage(), V8 heap spaces, modules loaded so
 *    far (ESM through a load hook, CJS from require.cache), event-loop delay since the previous
 *    report, and when the "ready" line was written (monotonic µs, the CPU profile's clock);
 *  - with CAIRN_BENCH_PROFILE=startup, `startup.cpuprofile`: preload → "ready" line;
 *  - with CAIRN_BENCH_PROFILE=window, `window.cpuprofile`: between the first and second SIGUSR2.
 * With CAIRN_BENCH_PROBE_GC=1 each report first forces a full GC (`memory` is then after it,
 * `memoryBeforeGc` before). (`--cpu-prof` is not allowed in NODE_OPTIONS, hence the in-process inspector.) With
 * CAIRN_BENCH_PROBE_HOOKS=0 no module hook is registered (no ESM list, no extra loader thread).
 */
import { createRequire, register } from "node:module";
import { renameSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { MessageChannel } from "node:worker_threads";

const dir = process.env.CAIRN_BENCH_PROBE_DIR;
const mode = process.env.CAIRN_BENCH_PROFILE;
const us = () => Number(process.hrtime.bigint() / 1000n);
const probe = { sinceProcessStartMs: performance.now(), preloadUs: us(), readyUs: null, readyMemory: null, esm: [] };

const writeAtomic = (name, data) => {
  const file = join(dir, name);
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
};

// The load hook runs on a loader thread of its own (an extra isolate: memory, and a round trip per
// module); CAIRN_BENCH_PROBE_HOOKS=0 leaves it out when measuring memory or load time.
if (process.env.CAIRN_BENCH_PROBE_HOOKS !== "0") {
  const { port1, port2 } = new MessageChannel();
  port1.on("message", (url) => probe.esm.push(url));
  port1.unref();
  register("./hooks.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });
}

let session;
const startProfile = async () => {
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 250 });
  await session.post("Profiler.start");
};
const stopProfile = async (name) => {
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  writeAtomic(name, JSON.stringify(profile));
};
if (mode === "startup") await startProfile();

const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (probe.readyUs === null && String(chunk).includes("ready in")) {
    probe.readyUs = us();
    probe.readyMemory = process.memoryUsage();
    if (mode === "startup") void stopProfile("startup.cpuprofile");
  }
  return write(chunk, ...rest);
};

const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();

let reports = 0;
const gcNow = async () => {
  const s = new Session();
  s.connect();
  await s.post("HeapProfiler.collectGarbage");
  s.disconnect();
};
process.on("SIGUSR2", async () => {
  const ms = (ns) => ns / 1e6;
  reports++;
  const before = process.memoryUsage();
  // CAIRN_BENCH_PROBE_GC=1: also report memory after a full GC (how much of it is garbage).
  if (process.env.CAIRN_BENCH_PROBE_GC === "1") await gcNow();
  const report = {
    memoryBeforeGc: before,
    ...probe,
    nowUs: us(),
    memory: process.memoryUsage(),
    heap: getHeapStatistics(),
    spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size, size: s.space_size })),
    cjs: Object.keys(createRequire(import.meta.url).cache),
    eventLoopDelayMs: { p50: ms(eld.percentile(50)), p90: ms(eld.percentile(90)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
  };
  eld.reset();
  writeAtomic(`report-${reports}.json`, JSON.stringify(report));
  if (mode === "window" && reports === 1) void startProfile();
  if (mode === "window" && reports === 2) void stopProfile("window.cpuprofile");
});
