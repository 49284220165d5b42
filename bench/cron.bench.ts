/**
 * Cron at scale and under kill -9, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/cron.bench.ts                        # 10,000 jobs, 20 firing every 2 s, 5 chaos trials
 *   npx tsx bench/cron.bench.ts --only chaos --trials 1000 --minutes 40   # as many crashes as fit in 40 min
 *   npx tsx bench/cron.bench.ts --only chaos --trials 20 --kill process    # kill -9 of a gateway process
 *   npx tsx bench/cron.bench.ts --only scale,jitter
 *
 * - scale: a real gateway (embedded nats-server) given `--jobs` jobs (every 6 h, so none fires
 *   during the bench) over NATS requests; then stopped and started again: start time (spawn → the
 *   gateway's "ready" line), how long after ready every job was armed (its log line), and RSS
 *   after it settled, next to the same gateway with no jobs.
 * - jitter: with those jobs armed, `--firing` more jobs every 2 s for 20 s; from the log, slot →
 *   claim and slot → run start (`cron.run.started`), p50/p99. The same is measured first on the
 *   gateway with no jobs (`jitterNoJobs`): on a shared machine the difference is the figure.
 * - chaos (tests/chaos/cron.chaos.ts): four jobs (1-1.7 s, every catch-up policy); `--trials`
 *   times a crash at a random instant (0-1.5 s into a lifetime) and a restart (stopping early after
 *   `--minutes`, if given); then every slot of every job is checked (tests/chaos/cron.slots.ts):
 *   0 doubled, 0 lost, one run and one outcome per claim. `--kill lifetime` (default): gateway
 *   lifetimes in this process on one nats-server kept up, each crashed by cutting its NATS
 *   connection (tests/chaos/cron.lifetime.ts: ~0.1 s of CPU a restart, so 1,000 fit in a run);
 *   `--kill process`: kill -9 of a gateway process and a restart (~2.3 s of CPU each, for loading
 *   its modules).
 *
 * Every gateway, nats-server and LLM server it starts is stopped, also on failure and Ctrl-C.
 */
import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLog, request, subjects } from "../bus/index.ts";
import { connectToGateway } from "../cli/connect.ts";
import { resolvePaths } from "../cli/paths.ts";
import { startGatewayProc, type GatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import type { LoggedEvent } from "../tests/chaos/chaos.helpers.ts";
import { cronChaos, lifetimeTarget, processTarget, type ChaosTarget } from "../tests/chaos/cron.chaos.ts";
import { aggregatesOf } from "../tests/chaos/cron.lifetime.ts";
import { startTestNats } from "../tests/fixtures/nats.ts";
import { Cleanup, cleanUpOnAbort, processMemory, round, sleep, summarize } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    firing: { type: "string", default: "20" },
    trials: { type: "string", default: "5" },
    minutes: { type: "string" },
    only: { type: "string", default: "scale,jitter,chaos" },
    kill: { type: "string", default: "lifetime" },
  },
});
const JOBS = Number(values.jobs);
const FIRING = Number(values.firing);
const TRIALS = Number(values.trials);
const CHAOS_BUDGET_MS = values.minutes === undefined ? Number.POSITIVE_INFINITY : Number(values.minutes) * 60_000;
const only = new Set(String(values.only).split(","));
const KILL = values.kill === "process" ? "process" : "lifetime";
const log = (l: string) => process.stdout.write(`${l}\n`);

const cleanup = new Cleanup();
// The safety limit outlasts the chaos budget (plus scale, jitter and the final check): a 65-minute
// run lost its figures to a fixed 60-minute limit.
cleanUpOnAbort(cleanup, (Number.isFinite(CHAOS_BUDGET_MS) ? CHAOS_BUDGET_MS : 0) + 60 * 60_000, log);
const llm = await startLlmServer();
cleanup.add("llm", () => llm.close());
const results: Record<string, unknown> = {};

const gateway = async (): Promise<GatewayProc> => {
  const gw = await startGatewayProc({ llmBaseUrl: llm.url });
  cleanup.add("gateway", () => gw.dispose());
  return gw;
};
const connect = (gw: GatewayProc) => connectToGateway(resolvePaths(gw.env));
/** Spawn → "ready", measured around a restart (the fixture resolves at the ready line). */
const timedRestart = async (gw: GatewayProc) => {
  const t0 = performance.now();
  await gw.restart();
  return performance.now() - t0;
};
/** RSS once the gateway is quiet: sampled each second until it stops growing (at most 20 s). */
const settledRss = async (pid: number) => {
  let last = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(1000);
    const rss = processMemory(pid)?.rssMb ?? 0;
    if (i > 2 && Math.abs(rss - last) < 1) return rss;
    last = rss;
  }
  return last;
};
/** The events of some aggregates, read from the log itself (the CLI's tail of 20,000+ events is slow). */
const readAggregates = async (gw: GatewayProc, ids: readonly (readonly ["cron" | "session", string])[]): Promise<LoggedEvent[]> => {
  const nc = await connect(gw);
  try {
    return await aggregatesOf(await EventLog.open(nc), ids);
  } finally {
    await nc.close();
  }
};
/** The chaos loop's gateway as lifetimes in this process, on one nats-server kept up (tests/chaos/cron.lifetime.ts). */
const lifetimes = async (): Promise<ChaosTarget> => {
  const nats = await startTestNats();
  cleanup.add("nats", () => nats.stop());
  const target = await lifetimeTarget(nats, llm.url);
  cleanup.add("lifetimes", () => target.dispose());
  return target;
};
/** Sends `n` job creations, `concurrency` at a time. */
const createJobs = async (nc: NatsConnection, names: readonly string[], settings: (name: string) => unknown, concurrency = 32) => {
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++] as string;
      await request(nc, subjects.command("cron", name, "create"), settings(name), { timeoutMs: 60_000 });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

/** `FIRING` jobs every 2 s for 20 s, then disabled: slot → claim and slot → run start from the log. */
const jitter = async (gw: GatewayProc, prefix: string) => {
  const nc = await connect(gw);
  const names = Array.from({ length: FIRING }, (_, i) => `${prefix}-${i}`);
  await createJobs(nc, names, () => ({ schedule: { kind: "every", everyMs: 2000 }, prompt: "tick", catchUp: "run_all" }));
  await sleep(20_000);
  for (const n of names) await request(nc, subjects.command("cron", n, "disable"), {});
  await sleep(3000);
  await nc.close();
  const events = await readAggregates(
    gw,
    names.map((n) => ["cron", n] as const),
  );
  const claims = events.filter((e) => e.type === "cron.slot.claimed").map((e) => e.data.at - e.data.slot);
  const starts = events.filter((e) => e.type === "cron.run.started");
  const slotOf = new Map(
    events.filter((e) => e.type === "cron.slot.claimed").map((e) => [`${e.id}/${e.data.slot}`, e.data.slot as number]),
  );
  const startLag = starts.map((e) => e.data.at - (slotOf.get(`${e.id}/${e.data.slot}`) ?? e.data.slot));
  // The scheduler's own share: slots whose job was idle when they fell due (its previous run had
  // ended). A slot that falls while the job's last run still goes waits for that run (run_all), so
  // the two figures above also measure how many agent turns a second the machine manages.
  const idleLag: number[] = [];
  const endedAt = new Map<string, number>();
  for (const e of events) {
    if (/^cron\.run\.(completed|failed|timed_out)$/.test(e.type)) endedAt.set(e.id, e.data.at);
    else if (e.type === "cron.slot.claimed" && (endedAt.get(e.id) ?? 0) <= e.data.slot) idleLag.push(e.data.at - e.data.slot);
  }
  const c = summarize(claims);
  const s = summarize(startLag);
  const i = summarize(idleLag);
  return {
    slots: c.n,
    slotToClaimMs: { p50: round(c.p50, 1), p99: round(c.p99, 1), max: round(c.max, 1) },
    slotToRunStartMs: { p50: round(s.p50, 1), p99: round(s.p99, 1), max: round(s.max, 1) },
    idleSlotToClaimMs: { n: i.n, p50: round(i.p50, 1), p99: round(i.p99, 1), max: round(i.max, 1) },
  };
};

try {
  let loaded: GatewayProc | undefined;
  if (only.has("scale") || only.has("jitter")) {
    log(`scale: a gateway with no jobs, then ${JOBS} jobs`);
    const gw = await gateway();
    loaded = gw;
    await gw.kill("SIGTERM");
    const emptyStartMs = await timedRestart(gw);
    const emptyRss = await settledRss(gw.child.pid as number);
    if (only.has("jitter")) {
      results.jitterNoJobs = await jitter(gw, "ctl");
      log(`jitter with no other jobs: ${JSON.stringify(results.jitterNoJobs)}`);
    }
    const nc = await connect(gw);
    const t0 = performance.now();
    await createJobs(
      nc,
      Array.from({ length: JOBS }, (_, i) => `load-${i}`),
      () => ({
        schedule: { kind: "every", everyMs: 6 * 3_600_000 },
        prompt: "load",
      }),
    );
    const createMs = performance.now() - t0;
    await nc.close();
    await gw.kill("SIGTERM");
    const loadedStartMs = await timedRestart(gw);
    // Ready comes first; the jobs are armed behind it, and the gateway says when that is done.
    let armedMs: number | null = null;
    for (let i = 0; i < 300 && armedMs === null && JOBS > 0; i++) {
      const m = [...gw.output().matchAll(/cron: (\d+) job\(s\) armed in (\d+) ms/g)].at(-1);
      if (m && Number(m[1]) >= JOBS) armedMs = Number(m[2]);
      else await sleep(1000);
    }
    const loadedRss = await settledRss(gw.child.pid as number);
    results.scale = {
      jobs: JOBS,
      createPerSec: round(JOBS / (createMs / 1000), 0),
      startMs: { noJobs: round(emptyStartMs, 0), withJobs: round(loadedStartMs, 0), armedAfterReadyMs: armedMs },
      rssMb: { noJobs: round(emptyRss, 1), withJobs: round(loadedRss, 1), perJobKb: round(((loadedRss - emptyRss) * 1024) / JOBS, 2) },
    };
    log(JSON.stringify(results.scale));
  }

  if (only.has("jitter") && loaded) {
    log(`jitter: ${FIRING} jobs every 2 s for 20 s, next to the ${JOBS} armed ones`);
    results.jitter = await jitter(loaded, "fire");
    log(JSON.stringify(results.jitter));
  }
  if (loaded) await loaded.dispose();

  if (only.has("chaos")) {
    log(
      `chaos: ${TRIALS} crashes at random instants (${KILL === "process" ? "kill -9 of the gateway process" : "in-process gateway lifetimes"}), four jobs`,
    );
    const target = KILL === "process" ? processTarget(await gateway()) : await lifetimes();
    const t0 = performance.now();
    const r = await cronChaos(target, {
      trials: TRIALS,
      budgetMs: CHAOS_BUDGET_MS,
      progress: (k) => {
        if (k % 50 === 0)
          log(
            `  ${k} crashes, ${round((performance.now() - t0) / 60_000, 1)} min, rss ${round(process.memoryUsage().rss / 2 ** 20, 0)} MB`,
          );
      },
    });
    results.chaos = {
      kill: KILL,
      kills: r.kills,
      minutes: round((performance.now() - t0) / 60_000, 1),
      slots: r.checks.reduce((n, c) => n + c.claimed + c.skipped, 0),
      claimed: r.checks.reduce((n, c) => n + c.claimed, 0),
      skipped: r.checks.reduce((n, c) => n + c.skipped, 0),
      failed: r.checks.reduce((n, c) => n + c.failed, 0),
      doubled: r.checks.reduce((n, c) => n + c.doubled, 0),
      missed: r.checks.reduce((n, c) => n + c.missed, 0),
      maxLateMs: Math.max(...r.checks.map((c) => c.maxLateMs)),
      problems: [...r.stalled, ...r.checks.flatMap((c) => c.problems)],
    };
    log(JSON.stringify(results.chaos));
  }
  log(JSON.stringify(results));
} finally {
  await cleanup.runAll();
}
