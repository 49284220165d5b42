/**
 * A big event log, run by hand (never by the test suite; figures are reported, not asserted):
 *
 *   npx tsx bench/biglog.bench.ts                   # 1,000,000 events (~2 min to write them)
 *   npx tsx bench/biglog.bench.ts --events 200000
 *
 * Writes `--events` realistic chat events (sessions of user messages and completed runs) into a
 * real nats-server, then measures: a full read-model rebuild (events/s), the read models' size
 * against the log's, a gateway's cold start to ready on that log with read models current and
 * with them missing (it serves at once and catches up behind), and the same start on an empty log.
 */
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { EVENTS_STREAM, EventLog, ensureStreams } from "../bus/index.ts";
import { buildFresh } from "../projections/index.ts";
import { startGatewayProc, type GatewayProc } from "../tests/fixtures/gateway.ts";
import { startTestNats, type TestNats } from "../tests/fixtures/nats.ts";
import { appendSessions, EVENTS_PER_SESSION } from "./lib/eventlog.ts";
import { Cleanup, cleanUpOnAbort, round } from "./lib/util.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "1000000" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  process.stdout.write("usage: npx tsx bench/biglog.bench.ts [--events 1000000]\n");
  process.exit(0);
}
const wanted = Number(values.events);
const log = (s: string) => process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 30 * 60_000, log);

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
const dbBytes = (file: string) => [file, `${file}-wal`].reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);

/** A gateway on `nats`, timed from spawn to its ready line; stopped again. */
async function coldStart(nats: TestNats, dataDir?: string): Promise<{ readyMs: number; gw: GatewayProc }> {
  const t0 = performance.now();
  const gw = await startGatewayProc({
    ...(dataDir ? { dataDir } : {}),
    extraEnv: { CAIRN_NATS_URL: nats.url, CAIRN_NATS_CREDS: nats.creds.gateway },
  });
  return { readyMs: round(performance.now() - t0, 0), gw };
}

try {
  const empty = await startTestNats();
  cleanup.add("empty nats", () => empty.stop());
  const emptyStart = await coldStart(empty);
  await emptyStart.gw.dispose();
  log(`biglog: empty log, gateway ready in ${emptyStart.readyMs} ms`);

  const nats = await startTestNats();
  cleanup.add("nats", () => nats.stop());
  const nc = await nats.connect("cairn-bench");
  await ensureStreams(nc);
  const eventLog = await EventLog.open(nc);
  const t0 = performance.now();
  const written = await appendSessions(eventLog, "big", Math.ceil(wanted / EVENTS_PER_SESSION), 64);
  log(`biglog: wrote ${written.events} events in ${round((performance.now() - t0) / 1000, 1)} s`);
  const total = await eventLog.lastSeq();
  const logBytes = (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.bytes;

  // A gateway's first start builds its read models as it follows: it serves at once.
  const first = await coldStart(nats);
  const dataDir = first.gw.dataDir;
  const db = join(dataDir, "projections", "projections.db");
  let caughtUpMs = Number.NaN;
  const began = performance.now();
  for (;;) {
    const h = (await (await fetch(`${first.gw.url}/health`)).json()) as { projections?: { lag: number } };
    if (h.projections && h.projections.lag === 0) {
      caughtUpMs = round(performance.now() - began, 0);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await first.gw.kill("SIGTERM");
  cleanup.add("first gateway's dirs", () => first.gw.dispose());
  log(`biglog: read models missing → ready in ${first.readyMs} ms, caught up ${caughtUpMs} ms later`);

  // Read models current: the start must not depend on the log's size.
  const warm = await coldStart(nats, dataDir);
  await warm.gw.kill("SIGTERM");
  const readModelBytes = dbBytes(db);
  cleanup.add("warm gateway's dirs", () => warm.gw.dispose());
  log(`biglog: read models current → ready in ${warm.readyMs} ms`);

  const rebuilt = await buildFresh(join(dataDir, "rebuild-bench.db"), eventLog);
  rmSync(rebuilt.tmp, { force: true });
  await nc.close();

  const result = {
    events: total,
    rebuild: { ms: round(rebuilt.ms, 0), perSec: round((total / rebuilt.ms) * 1000, 0) },
    size: { logMb: mb(logBytes), readModelsMb: mb(readModelBytes), ratio: round(readModelBytes / logBytes, 2) },
    readyMs: { emptyLog: emptyStart.readyMs, readModelsCurrent: warm.readyMs, readModelsMissing: first.readyMs },
    catchUpAfterReadyMs: caughtUpMs,
  };
  process.stdout.write(
    `${total} events in the log\n` +
      `  rebuild:          ${result.rebuild.perSec} events/s (${result.rebuild.ms} ms)\n` +
      `  size:             read models ${result.size.readModelsMb} MB, log ${result.size.logMb} MB (${result.size.ratio}×)\n` +
      `  ready:            empty log ${result.readyMs.emptyLog} ms; this log with read models current ${result.readyMs.readModelsCurrent} ms, ` +
      `missing ${result.readyMs.readModelsMissing} ms (then caught up in ${caughtUpMs} ms, serving meanwhile)\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await cleanup.runAll();
}
