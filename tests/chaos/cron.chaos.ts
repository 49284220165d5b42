/**
 * The cron chaos loop shared by tests/chaos/cron-kill9.test.ts and bench/cron.bench.ts: four jobs
 * (1-1.7 s, every catch-up policy), a crash at a random instant of each lifetime, then every slot
 * of every job checked (cron.slots.ts). With jobs of different intervals every crash lands at a
 * different phase of each job's slot: before a claim, between a claim and its run's start, mid-run,
 * between a run's end and its session's record of it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLog, request, subjects } from "../../bus/index.ts";
import { connectToGateway } from "../../cli/connect.ts";
import { resolvePaths } from "../../cli/paths.ts";
import type { GatewayProc } from "../fixtures/gateway.ts";
import type { TestNats } from "../fixtures/nats.ts";
import { aggregatesOf, jobAggregates, startLifetime, type Lifetime } from "./cron.lifetime.ts";
import { checkCronSlots, type SlotCheck } from "./cron.slots.ts";
import { sleep, waitUntil, type LoggedEvent } from "./chaos.helpers.ts";

export const CHAOS_JOBS = [
  { name: "c1", everyMs: 1000, catchUp: "run_once" },
  { name: "c2", everyMs: 1300, catchUp: "run_all" },
  { name: "c3", everyMs: 1000, catchUp: "skip" },
  { name: "c4", everyMs: 1700, catchUp: "run_once" },
] as const;
const NAMES = CHAOS_JOBS.map((j) => j.name);
const createParams = (j: (typeof CHAOS_JOBS)[number]) => ({
  schedule: { kind: "every", everyMs: j.everyMs },
  prompt: "tick",
  catchUp: j.catchUp,
});
const OUTCOME = /^cron\.run\.(completed|failed|timed_out)$/;

export interface ChaosResult {
  readonly kills: number;
  readonly checks: readonly SlotCheck[];
  /** Jobs that decided no slot after the last restart. */
  readonly stalled: readonly string[];
  readonly events: readonly LoggedEvent[];
}

/** What one crash-and-restart loop needs from its gateway, a process or an in-process lifetime. */
export interface ChaosTarget {
  createJobs(): Promise<void>;
  /** Crashes at once and starts the next lifetime; resolves when it is up. */
  crashAndRestart(): Promise<void>;
  disableJobs(): Promise<void>;
  readLog(): Promise<LoggedEvent[]>;
}

/**
 * Creates the jobs, then `trials` times (or until `budgetMs` is spent) waits a random 0-1.5 s and
 * crashes; then lets the last lifetime run a slot of every job, disables the jobs, waits for every
 * claimed slot's outcome and checks every job's slots.
 */
export async function cronChaos(
  target: ChaosTarget,
  o: { trials: number; budgetMs?: number; progress?: (kills: number) => void },
): Promise<ChaosResult> {
  await target.createJobs();
  const start = performance.now();
  let kills = 0;
  for (; kills < o.trials && performance.now() - start < (o.budgetMs ?? Number.POSITIVE_INFINITY); kills++) {
    await sleep(Math.floor(Math.random() * 1500));
    await target.crashAndRestart();
    o.progress?.(kills + 1);
  }
  // The last lifetime works: every job decides a slot after it started (claimed or skipped). One
  // that does not within a minute is reported as stalled, with its last events, not thrown on.
  const seen = (events: readonly LoggedEvent[]) =>
    new Map(NAMES.map((n) => [n, events.filter((e) => e.kind === "cron" && e.id === n && /^cron\.slot\./.test(e.type)).length]));
  const before = seen(await target.readLog());
  let stalled: string[] = [];
  await waitUntil(
    "every job to decide a slot after the last restart",
    async () => {
      const now = seen(await target.readLog());
      stalled = NAMES.filter((n) => (now.get(n) ?? 0) <= (before.get(n) ?? 0));
      return stalled.length === 0;
    },
    60_000,
    100,
  ).catch(() => {});
  await target.disableJobs();
  let events: LoggedEvent[] = [];
  await waitUntil(
    "every claimed slot to have an outcome",
    async () => {
      events = await target.readLog();
      const claimed = events.filter((e) => e.type === "cron.slot.claimed").length;
      return claimed > 0 && claimed === events.filter((e) => OUTCOME.test(e.type)).length;
    },
    60_000,
    100,
  ).catch(() => {}); // what never ended is reported by the check below
  const tail = (n: string) =>
    events
      .filter((e) => e.id === n || e.id === `cron-${n}`)
      .slice(-6)
      .map((e) => `${e.type}${e.data?.error ? ` (${e.data.error.code})` : ""}`)
      .join(", ");
  return {
    kills,
    checks: NAMES.map((n) => checkCronSlots(events, n)),
    stalled: stalled.map((n) => `${n}: decided no slot within 60 s of the last restart; last events: ${tail(n)}`),
    events,
  };
}

/** Gateway lifetimes in this process on one nats-server (cron.lifetime.ts); `dispose()` ends them all. */
export async function lifetimeTarget(
  nats: TestNats,
  llmUrl: string,
  report?: (l: string) => void,
): Promise<ChaosTarget & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "cairn-cron-chaos-"));
  let life: Lifetime = await startLifetime(nats, dir, llmUrl, report);
  const dispatch = (name: string, verb: string, params: unknown) => life.system.dispatch("cron", name, verb, params);
  const log = (): EventLog => life.log;
  return {
    async createJobs() {
      for (const j of CHAOS_JOBS) await dispatch(j.name, "create", createParams(j));
    },
    // Up again once recovered (sessions adopted, jobs armed), as a gateway process is at its
    // ready line: the next crash comes at a random instant of a lifetime that does work.
    async crashAndRestart() {
      life.crash();
      life = await startLifetime(nats, dir, llmUrl, report);
      await life.recovered;
    },
    async disableJobs() {
      for (const n of NAMES) await dispatch(n, "disable", {});
    },
    readLog: () => aggregatesOf(log(), jobAggregates(NAMES)),
    async dispose() {
      await life.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A gateway process: kill -9 and a restart each time (~2.3 s of CPU to load its modules again). */
export function processTarget(gw: GatewayProc): ChaosTarget {
  // Over the gateway's NATS, as the CLI sends them (a CLI process per command costs a module load).
  const withNats = async <T>(f: (nc: NatsConnection) => Promise<T>): Promise<T> => {
    const nc = await connectToGateway(resolvePaths(gw.env));
    try {
      return await f(nc);
    } finally {
      await nc.close();
    }
  };
  const command = (name: string, verb: string, params: unknown) =>
    withNats((nc) => request(nc, subjects.command("cron", name, verb), params, { timeoutMs: 30_000 }));
  return {
    async createJobs() {
      for (const j of CHAOS_JOBS) await command(j.name, "create", createParams(j));
    },
    async crashAndRestart() {
      await gw.kill("SIGKILL");
      await gw.restart();
    },
    async disableJobs() {
      for (const n of NAMES) await command(n, "disable", {});
    },
    readLog: () => withNats(async (nc) => aggregatesOf(await EventLog.open(nc), jobAggregates(NAMES))),
  };
}
