/**
 * cairn gateway benchmark, run by hand (never by the test suite; timings are reported, not asserted):
 *
 *   npx tsx bench/gateway.bench.ts            # full run (~40 s on an idle machine; capped at 3 min)
 *   npx tsx bench/gateway.bench.ts --quick    # smaller run (~20 s)
 *   npx tsx bench/gateway.bench.ts --only latency,startup,eventlog
 *   npx tsx bench/gateway.bench.ts --telemetry off|metrics|traces   # cost of metrics and tracing
 *
 * `--telemetry`: `metrics` (the default: the gateway's registry on, traces off), `off`
 * (`CAIRN_METRICS=0`), `traces` (metrics on and every run exported over OTLP/HTTP to a sink on
 * loopback that only counts the requests). Compare runs of the same section for the cost.
 *
 * Measures on this machine: the latency the gateway adds to streamed tokens, cold and warm start,
 * idle memory, event append rate and read-model rebuild rate. Prints a table with the targets
 * next to the figures, then one JSON line with every number. Every process and temp dir it makes
 * is removed, also on failure and Ctrl-C. When a target is missed, `bench/gateway.profile.ts`
 * shows where the time and memory go.
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { runBaseline, type Baseline } from "./lib/baseline.ts";
import { runEventLog, type EventLogResult } from "./lib/eventlog.ts";
import { runLatency, type LatencyResult } from "./lib/latency.ts";
import { renderTable } from "./lib/report.ts";
import { runStartup, type StartupResult } from "./lib/startup.ts";
import { Cleanup, cleanUpOnAbort, round } from "./lib/util.ts";
import { startOtlpSink } from "./lib/otlp.sink.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    help: { type: "boolean", short: "h" },
    telemetry: { type: "string", default: "metrics" },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: npx tsx bench/gateway.bench.ts [--quick] [--only latency,startup,eventlog] [--telemetry off|metrics|traces]\n",
  );
  process.exit(0);
}
const quick = values.quick!;
const only = new Set((values.only ?? "latency,startup,eventlog").split(","));
const cfg = quick
  ? {
      messages: 50,
      warmup: 5,
      delayed: 20,
      idleSeconds: 5,
      startRuns: 2,
      firstEver: true,
      appendEvents: 4_000,
      concurrency: 32,
      rebuildEvents: 10_000,
    }
  : {
      messages: 200,
      warmup: 10,
      delayed: 50,
      idleSeconds: 5,
      startRuns: 5,
      firstEver: true,
      appendEvents: 20_000,
      concurrency: 32,
      rebuildEvents: 50_000,
    };

const cleanup = new Cleanup();
const log = (s: string) => process.stderr.write(`${s}\n`);
const TIME_LIMIT_MS = 3 * 60_000;

cleanUpOnAbort(cleanup, TIME_LIMIT_MS, log);

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "?",
  loadAvgAtStart: loadavg().map((x) => round(x)),
};
log(
  `cairn bench (${quick ? "quick" : "full"}) on ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAvgAtStart.join(" ")}`,
);

const telemetry = values.telemetry!;
if (!["off", "metrics", "traces"].includes(telemetry)) throw new Error(`--telemetry: off, metrics or traces, not ${telemetry}`);
const sink = telemetry === "traces" ? await startOtlpSink() : null;
if (sink) cleanup.add("otlp sink", () => sink.close());
const gatewayEnv: NodeJS.ProcessEnv = telemetry === "off" ? { CAIRN_METRICS: "0" } : sink ? { CAIRN_OTLP_ENDPOINT: sink.url } : {};
log(`telemetry: ${telemetry}`);

const t0 = performance.now();
let baseline: Baseline | null = null;
let latency: LatencyResult | null = null;
let startup: StartupResult | null = null;
let eventlog: EventLogResult | null = null;
let failed = false;
try {
  if (only.has("latency")) {
    log(`1+3. latency: ${cfg.warmup} warm-up + ${cfg.messages} messages (+ ${cfg.delayed} with a 50 ms first byte); idle memory`);
    baseline = await runBaseline({ pings: 200, idlePings: cfg.delayed, cleanup });
    latency = await runLatency({
      messages: cfg.messages,
      warmup: cfg.warmup,
      delayedMessages: cfg.delayed,
      idleSeconds: cfg.idleSeconds,
      cleanup,
      log,
      gatewayEnv,
    });
  }
  if (only.has("startup")) {
    log(`2. start to ready: ${cfg.firstEver ? "1 first-ever + " : ""}${cfg.startRuns} fresh + ${cfg.startRuns} warm`);
    startup = await runStartup({ runs: cfg.startRuns, firstEver: cfg.firstEver, cleanup, log });
  }
  if (only.has("eventlog")) {
    log(`4+5. event log: ${cfg.appendEvents} sequential + ${cfg.appendEvents} concurrent appends; rebuild of ≥ ${cfg.rebuildEvents}`);
    eventlog = await runEventLog({
      appendEvents: cfg.appendEvents,
      concurrency: cfg.concurrency,
      rebuildEvents: cfg.rebuildEvents,
      cleanup,
      log,
    });
  }
} catch (e) {
  failed = true;
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup.runAll();
}

const totalSeconds = (performance.now() - t0) / 1000;
const result = {
  bench: "cairn-gateway",
  mode: quick ? "quick" : "full",
  telemetry,
  otlpRequests: sink?.requests() ?? null,
  machine: { ...machine, loadAvgAtEnd: loadavg().map((x) => round(x)) },
  totalSeconds: round(totalSeconds, 1),
  baseline,
  latency,
  startup,
  eventlog,
  failed,
};
process.stdout.write(`${renderTable(result)}\n`);
process.stdout.write(`${JSON.stringify(result, (_k, v) => (typeof v === "number" ? round(v, 3) : v))}\n`);
process.exit(failed ? 1 : 0);
