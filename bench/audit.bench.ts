/**
 * The log tools on a big log, as a user runs them (never by the test suite; figures are reported,
 * not asserted):
 *
 *   npx tsx bench/audit.bench.ts                  # 1,000,000 events (~2 min to write them)
 *   npx tsx bench/audit.bench.ts --events 200000 --runs 5
 *   npx tsx bench/audit.bench.ts --events 200000 --profile /tmp/prof   # verify-N.cpuprofile, replay-N.cpuprofile
 *
 * Writes `--events` chained chat events into a data dir's embedded nats-server, then measures
 * `log verify` (every chain checked; goal ≥ 100k events/s) and `events replay` of the whole log
 * into a separate SQLite dir (goal ≥ 50k events/s) twice over, `--runs` times each, reporting
 * every run and the medians (the machine is shared: one run says little):
 *
 * - warm: the commands' code in this process against the server that just wrote the log (its
 *   caches full), as `cairn log verify` finds a running gateway's log;
 * - cold: the real `cairn log verify --json` and `cairn events replay --json` from the CLI bundle
 *   with the server stopped, so each command starts nats-server on the data dir, which loads the
 *   log from its files as it is read (a gateway-less check after a restart). The rates are the
 *   commands' own (the walk, not the CLI's start-up).
 *
 * Measured 2026-12-07 (2 shared cores; ±25% from hour to hour): 1,000,000 events, 2 runs: warm
 * verify 92-113k/s, cold 105.5k/s; warm replay 32-34k/s, cold 29-32k/s. 200k events, 3 runs: warm
 * verify 109-119k/s, cold 64-79k/s (the server's start weighs more); replay 27-37k/s. Replay per
 * 100k events: reading (the NATS client) ~0.8 s, decoding 0.4 s, the read models' writes ~1.2-1.7 s (messages, audit, sessions,
 * runs; metrics 0.19 s since they are summed per commit), the search index and the deferred
 * indexes 0.5 s. A replay split over two threads (reading in one, decoding and writing in a
 * worker) measured no faster here: with a second busy thread the same SQLite writes took 55%
 * longer on this machine (its two cores share what memory-bound work needs).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { EventLog, ensureStreams, logExtent, readRawBatches, verifyEvents } from "../bus/index.ts";
import { replayInto } from "../projections/index.ts";
import { profiled } from "./lib/cpu.profile.ts";
import { connectNats, startEmbeddedNats } from "../bus/server/index.ts";
import { buildCli } from "../cli/build.mjs";
import { WALK_SEMI_SPACE_MB } from "../cli/launch.mjs";
import { appendSessions, EVENTS_PER_SESSION } from "./lib/eventlog.ts";
import { Cleanup, cleanUpOnAbort, median, round } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    profile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/audit.bench.ts [--events 1000000] [--runs 3] [--profile DIR]\n");
  process.exit(0);
}
// The warm runs walk the log in this process: in a node with the young generation the CLI gives
// the log walks (cli/bin.mjs starts them again with it; V8 takes it only at start).
if (!process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
  const r = spawnSync(process.execPath, [`--max-semi-space-size=${WALK_SEMI_SPACE_MB}`, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
const wanted = Number(values.events);
const runs = Number(values.runs);
const log = (s: string) => process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 60 * 60_000, log);
const root = join(import.meta.dirname, "..");

/**
 * One CLI command on the data dir, its `--json` answer. With `--profile`, in a node that writes a
 * CPU profile (the command's own start: the CLI would otherwise start it again, see cli/bin.mjs).
 */
const cairn = (dataDir: string, args: string[], profileAs: string): { eventsPerSecond: number; events: number; ms: number } => {
  const env: NodeJS.ProcessEnv = { ...process.env, CAIRN_DATA_DIR: dataDir };
  const node = values.profile
    ? [
        `--max-semi-space-size=${WALK_SEMI_SPACE_MB}`,
        "--cpu-prof",
        `--cpu-prof-dir=${values.profile}`,
        `--cpu-prof-name=${profileAs}.cpuprofile`,
      ]
    : [];
  if (values.profile) env.CAIRN_LOG_WALK = "1";
  const out = execFileSync(process.execPath, [...node, join(root, "cli", "bin.mjs"), ...args, "--json"], { env, cwd: root });
  return JSON.parse(out.toString());
};

try {
  // The commands run from the bundle, as `cairn` does: built from this checkout first.
  await buildCli();
  const dataDir = mkdtempSync(join(tmpdir(), "cairn-bench-audit-"));
  cleanup.add("data dir", () => rmSync(dataDir, { recursive: true, force: true }));
  const nats = await startEmbeddedNats({ dataDir });
  const stopNats = cleanup.add("nats", () => nats.stop());
  const nc = await connectNats({ url: nats.url, credsFile: nats.creds.gateway, name: "cairn-bench" });
  await ensureStreams(nc);
  const t0 = performance.now();
  const written = await appendSessions(await EventLog.open(nc), "audit", Math.ceil(wanted / EVENTS_PER_SESSION), 64);
  log(`audit: wrote ${written.events} chained events in ${round((performance.now() - t0) / 1000, 1)} s`);

  const rate = (events: number, ms: number) => Math.round(events / (ms / 1000));
  const figures = { warm: { verify: [] as number[], replay: [] as number[] }, cold: { verify: [] as number[], replay: [] as number[] } };
  const { firstSeq, lastSeq } = await logExtent(nc);
  const eventLog = await EventLog.open(nc);
  for (let i = 1; i <= runs; i++) {
    const v0 = performance.now();
    const report = await profiled(values.profile, `verify-warm-${i}`, () =>
      verifyEvents(readRawBatches(nc, { fromSeq: firstSeq, untilSeq: lastSeq })),
    );
    figures.warm.verify.push(rate(report.events, performance.now() - v0));
    log(`audit: warm verify ${report.events} events: ${figures.warm.verify.at(-1)} events/s (ok: ${report.ok})`);
    const into = mkdtempSync(join(tmpdir(), "cairn-bench-replay-"));
    try {
      const r = await profiled(values.profile, `replay-warm-${i}`, () => replayInto({ dir: into, toSeq: lastSeq, log: eventLog }));
      figures.warm.replay.push(rate(r.events, r.ms));
      log(`audit: warm replay ${r.events} events into SQLite: ${figures.warm.replay.at(-1)} events/s`);
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  }
  await nc.close();
  await stopNats();

  for (let i = 1; i <= runs; i++) {
    const v = cairn(dataDir, ["log", "verify"], `verify-cold-${i}`);
    figures.cold.verify.push(v.eventsPerSecond);
    log(`audit: cold 'cairn log verify' ${v.events} events in ${round(v.ms / 1000, 2)} s: ${v.eventsPerSecond} events/s`);
    const into = mkdtempSync(join(tmpdir(), "cairn-bench-replay-"));
    try {
      const r = cairn(dataDir, ["events", "replay", "--to", String(v.events), "--into", into], `replay-cold-${i}`);
      figures.cold.replay.push(r.eventsPerSecond);
      log(`audit: cold 'cairn events replay' ${r.events} events in ${round(r.ms / 1000, 2)} s: ${r.eventsPerSecond} events/s`);
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  }
  const medians = (f: { verify: number[]; replay: number[] }) => ({ verify: median(f.verify), replay: median(f.replay), runs: f });
  process.stdout.write(`${JSON.stringify({ events: written.events, warm: medians(figures.warm), cold: medians(figures.cold) })}\n`);
} catch (e) {
  // Exiting in `finally` would swallow it.
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanup.runAll();
  process.exit();
}
