/**
 * The log tools on a big log, run by hand (never by the test suite; figures are reported, not asserted):
 *
 *   npx tsx bench/audit.bench.ts                  # 1,000,000 events (~2-3 min to write them)
 *   npx tsx bench/audit.bench.ts --events 200000
 *   npx tsx bench/audit.bench.ts --events 100000 --profile /tmp/prof   # verify.cpuprofile, replay.cpuprofile
 *
 * Writes `--events` chained chat events into a real nats-server, then measures `log verify`
 * (every chain checked; goal ≥ 100k events/s) and `events replay` of the whole log into a
 * separate SQLite dir (goal ≥ 50k events/s). Both are also given per CPU-second of this process:
 * on a shared machine the wall time says as much about the neighbours.
 *
 * Both run in a node with the young generation the CLI gives them (`--semi-space`, default
 * cli/launch.mjs's WALK_SEMI_SPACE_MB; `--semi-space 2` is the gateway's, which the CLI used for
 * them before 2026-12-07).
 *
 * Measured 2026-12-07 (2 shared cores, load ~1.5), 200k events: --semi-space 2: verify 39-45k/s,
 * replay 17-18k/s; 64: verify 76-84k/s, replay 21-25k/s. Replay per 100k events: reading and
 * decoding 1.35 s, the read models' writes 2.2 s (metrics 0.76, messages 0.60, audit 0.51, runs
 * 0.17, sessions 0.12), the deferred indexes 0.36 s — one thread does all of it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EventLog, ensureStreams, logExtent, readRawBatches, verifyEvents } from "../bus/index.ts";
import { replayInto } from "../projections/index.ts";
import { startTestNats } from "../tests/fixtures/nats.ts";
import { appendSessions, EVENTS_PER_SESSION } from "./lib/eventlog.ts";
import { Cleanup, cleanUpOnAbort, round } from "./lib/util.ts";
import { profiled } from "./lib/cpu.profile.ts";
import { WALK_SEMI_SPACE_MB } from "../cli/launch.mjs";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    profile: { type: "string" },
    "semi-space": { type: "string", default: String(WALK_SEMI_SPACE_MB) },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/audit.bench.ts [--events 1000000] [--profile DIR] [--semi-space MB]\n");
  process.exit(0);
}
// Measured in a node with the young generation `cairn log verify` and `events replay` run with
// (cli/bin.mjs starts them again with it; V8 takes it only at start): this one is started again too.
if (!process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
  const r = spawnSync(process.execPath, [`--max-semi-space-size=${values["semi-space"]}`, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
const wanted = Number(values.events);
const log = (s: string) => process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 30 * 60_000, log);

try {
  const nats = await startTestNats();
  cleanup.add("nats", () => nats.stop());
  const nc = await nats.connect("cairn-bench");
  await ensureStreams(nc);
  const eventLog = await EventLog.open(nc);
  const t0 = performance.now();
  const written = await appendSessions(eventLog, "audit", Math.ceil(wanted / EVENTS_PER_SESSION), 64);
  log(`audit: wrote ${written.events} chained events in ${round((performance.now() - t0) / 1000, 1)} s`);

  const { firstSeq, lastSeq } = await logExtent(nc);
  // CPU time of this process too: on a shared machine the wall time says as much about the neighbours.
  const cpuMs = (from?: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(from);
    return (c.user + c.system) / 1000;
  };
  let c0 = process.cpuUsage();
  const v0 = performance.now();
  const report = await profiled(values.profile, "verify", () => verifyEvents(readRawBatches(nc, { fromSeq: firstSeq, untilSeq: lastSeq })));
  const verifyMs = performance.now() - v0;
  const verifyCpu = cpuMs(c0);
  log(
    `audit: verify ${report.events} events in ${round(verifyMs / 1000, 2)} s: ${Math.round(report.events / (verifyMs / 1000))} events/s, ${Math.round(report.events / (verifyCpu / 1000))} per CPU-second (ok: ${report.ok})`,
  );

  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-replay-"));
  cleanup.add("replay dir", () => rmSync(dir, { recursive: true, force: true }));
  c0 = process.cpuUsage();
  const replay = await profiled(values.profile, "replay", () => replayInto({ dir, toSeq: lastSeq, log: eventLog }));
  const replayCpu = cpuMs(c0);
  log(
    `audit: replay ${replay.events} events into SQLite in ${round(replay.ms / 1000, 2)} s: ${Math.round(replay.events / (replay.ms / 1000))} events/s, ${Math.round(replay.events / (replayCpu / 1000))} per CPU-second`,
  );
  process.stdout.write(
    `${JSON.stringify({
      events: report.events,
      verifyEventsPerSecond: Math.round(report.events / (verifyMs / 1000)),
      replayEventsPerSecond: Math.round(replay.events / (replay.ms / 1000)),
      verifyEventsPerCpuSecond: Math.round(report.events / (verifyCpu / 1000)),
      replayEventsPerCpuSecond: Math.round(replay.events / (replayCpu / 1000)),
      verifyOk: report.ok,
    })}\n`,
  );
  await nc.close();
} catch (e) {
  // Exiting in `finally` would swallow it.
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanup.runAll();
  process.exit();
}
