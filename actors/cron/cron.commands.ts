import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import {
  CairnError,
  CronJobGuards,
  CronJobSettings,
  CronJobUpdate,
  DEFAULT_CRON_TIMEOUT_MS,
  RunId,
  SessionKey,
  Usage,
  WireError,
  type NewEvent,
} from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type CommandOf, type DecideEnv, type Decision } from "../runtime/index.ts";
import { CRON_MACHINE_VERSION, cronMachine, type CronContext } from "./cron.machine.ts";
import { DEFAULT_GRACE_MS, planFire } from "./cron.plan.ts";
import { anchored, firstSlot, nextSlot, sameSchedule } from "./cron.schedule.ts";
import { decideSync, SyncParams } from "./cron.sync.ts";

const Slot = Schema.Struct({ slot: Schema.Number });
const schemas = {
  create: CronJobSettings,
  update: CronJobUpdate,
  enable: Schema.Struct({}),
  disable: Schema.Struct({}),
  remove: Schema.Struct(CronJobGuards),
  /** cairn's own job (the heartbeat) made to match the configuration: created, updated, removed or left. */
  sync: SyncParams,
  /** `cairn cron run`: a slot now, outside the schedule. */
  run: Schema.Struct({}),
  // Internal: sent by the job's own effects.
  fire: Slot,
  started: Schema.Struct({ slot: Schema.Number, runId: RunId, sessionKey: SessionKey }),
  finish: Schema.Struct({
    slot: Schema.Number,
    runId: Schema.NullOr(RunId),
    status: Schema.Literals(["completed", "failed"]),
    usage: Schema.optionalKey(Schema.NullOr(Usage)),
    error: Schema.optionalKey(WireError),
  }),
  time_out: Slot,
} as const;
export type CronCommand = CommandOf<typeof schemas>;
type Snapshot = SnapshotFrom<typeof cronMachine>;

/** The session a job's runs go to: its own `cron-<name>` unless it names one. */
export const jobSessionKey = (c: Pick<CronContext, "id" | "session">): string => c.session ?? `cron-${c.id}`;
/** The user message that starts a slot's run: derived, so starting it again is a duplicate the session refuses. */
export const slotMessageId = (id: string, slot: number, manual: boolean): string => `c${manual ? "m" : ""}-${id}-${slot.toString(36)}`;

/** The job a slot's message id names (`slotMessageId`), or null for any other message. */
export const jobOfMessage = (messageId: string): string | null => /^cm?-([A-Za-z0-9_-]{1,48})-[0-9a-z]+$/.exec(messageId)?.[1] ?? null;

/** What the job's commands reply: its settings and schedule. */
export const cronView = (c: CronContext, state: string) => ({
  name: c.id,
  state,
  schedule: c.schedule,
  prompt: c.prompt,
  model: c.model,
  session: jobSessionKey(c),
  catchUp: c.catchUp,
  timeoutMs: c.timeoutMs,
  enabled: c.enabled,
  system: c.system,
  sandbox: c.sandbox,
  approvalMode: c.approvalMode,
  owner: c.owner,
  nextAt: c.nextAt,
  current: c.current,
  lastSlot: c.lastSlot,
  lastStatus: c.lastStatus,
});

export interface CronSpecOptions {
  /** How late a slot may start and still count as on time under `skip` (default 60 s). */
  readonly graceMs?: number;
}

export const createCronSpec = (o: CronSpecOptions = {}): AggregateSpec<typeof cronMachine, CronCommand> => ({
  kind: "cron",
  machine: cronMachine,
  machineVersion: CRON_MACHINE_VERSION,
  input: (id) => ({ id }),
  decodeCommand: commandDecoder("cron jobs", schemas),
  decide: (s, c, env) => decide(s, c, env, o.graceMs ?? DEFAULT_GRACE_MS),
  // The run waits for its end, which may be an hour: adoption hands it over instead of waiting.
  // (Arming returns at once: the deadline waits in the timer queue.)
  continuing: ["watchRun"],
});

/** The event data of a job created with these settings (shared with `sync`, which creates the system jobs). */
export const createdData = (p: CronJobSettings, now: number) => {
  const schedule = anchored(p.schedule, now);
  const enabled = p.disabled !== true;
  const first = firstSlot(schedule, now);
  return {
    schedule,
    prompt: p.prompt,
    model: p.model ?? null,
    session: p.session ?? null,
    catchUp: p.catchUp ?? "run_once",
    timeoutMs: p.timeoutMs ?? DEFAULT_CRON_TIMEOUT_MS,
    enabled,
    system: p.system === true,
    sandbox: p.sandbox ?? null,
    approvalMode: p.approvalMode ?? null,
    owner: p.owner ?? null,
    nextAt: enabled ? first : null,
  };
};

/**
 * Who may change or remove a job: cairn's own jobs follow cairn.toml only, and the agent's `cron`
 * tool reaches only the jobs its own session made.
 */
const checkGuards = (ctx: CronContext, g: { system?: boolean; asOwner?: string }, verb: string): void => {
  if (ctx.system && g.system !== true) {
    throw new CairnError(
      "forbidden",
      `'${ctx.id}' is cairn's own job (the heartbeat); it follows [heartbeat] in cairn.toml, so ${verb} it there`,
    );
  }
  if (g.asOwner !== undefined && ctx.owner !== g.asOwner) {
    throw new CairnError("forbidden", `cron job '${ctx.id}' was not made by this session's agent; it may only ${verb} its own jobs`);
  }
};

const none = (reply: unknown): Decision => ({ events: [], reply });

const decide = (s: Snapshot, c: CronCommand, env: DecideEnv, graceMs: number): Decision => {
  const ctx = s.context;
  const id = ctx.id;
  const state = String(s.value);
  const view = (extra: Partial<CronContext> = {}, st = state) => cronView({ ...ctx, ...extra }, st);
  const exists = state !== "new" && state !== "removed";
  if (c.verb === "sync") return decideSync(s, c.params.settings, env.now, createdData);
  if (c.verb === "create") {
    const p = c.params;
    if (exists) {
      // The same job asked for again (a retry after a lost reply) is answered, not refused.
      if (ctx.prompt === p.prompt && sameSchedule(ctx.schedule, p.schedule) && ctx.owner === (p.owner ?? null))
        return none({ ...view(), created: false });
      throw new CairnError("cron_job_exists", `a cron job named '${id}' exists; remove it first or pick another name`);
    }
    const data = createdData(p, env.now);
    return { events: [{ type: "cron.job.created", data }], reply: { ...view(data as Partial<CronContext>, "idle"), created: true } };
  }
  if (!exists) {
    // Outcomes of a run that outlived its job's removal change nothing.
    if (state === "removed" && (c.verb === "fire" || c.verb === "started" || c.verb === "finish" || c.verb === "time_out")) {
      return none({ recorded: false });
    }
    if (state === "removed" && c.verb === "remove") return none({ name: id, removed: true, alreadyRemoved: true });
    throw new CairnError("cron_job_not_found", `no cron job named '${id}'; 'cairn cron list' shows them`);
  }
  switch (c.verb) {
    case "update": {
      const { system, asOwner, ...p } = c.params;
      checkGuards(ctx, { ...(system !== undefined ? { system } : {}), ...(asOwner !== undefined ? { asOwner } : {}) }, "change");
      const data: Record<string, unknown> = { ...p };
      let nextAt = ctx.nextAt;
      if (p.schedule) {
        const schedule = anchored(p.schedule, env.now);
        data.schedule = schedule;
        const first = firstSlot(schedule, env.now);
        nextAt = ctx.enabled ? first : null;
      }
      data.nextAt = nextAt;
      return { events: [{ type: "cron.job.updated", data } as NewEvent], reply: view({ ...(data as Partial<CronContext>) }) };
    }
    case "enable": {
      if (ctx.enabled) return none(view());
      // From now on: slots that fell while it was off are not missed.
      const nextAt = nextSlot(ctx.schedule, env.now);
      return { events: [{ type: "cron.job.enabled", data: { nextAt } }], reply: view({ enabled: true, nextAt }) };
    }
    case "disable":
      if (!ctx.enabled) return none(view());
      return { events: [{ type: "cron.job.disabled", data: {} }], reply: view({ enabled: false, nextAt: null }) };
    case "remove":
      checkGuards(ctx, c.params, "remove");
      return { events: [{ type: "cron.job.removed", data: {} }], reply: { name: id, removed: true, alreadyRemoved: false } };
    case "run": {
      if (state !== "idle") {
        throw new CairnError(
          "session_busy",
          `cron job '${id}' has a run in progress (slot ${new Date(ctx.current?.slot ?? 0).toISOString()})`,
        );
      }
      return claim(ctx, env.now, env.now, true, ctx.nextAt);
    }
    case "fire": {
      // A timer for a slot the job has moved past (a second timer, a stale gateway) decides nothing.
      if (state !== "idle" || !ctx.enabled || ctx.nextAt === null || c.params.slot !== ctx.nextAt) return none({ fired: false });
      const plan = planFire(ctx.schedule, ctx.catchUp, ctx.nextAt, env.now, graceMs);
      if (plan.skip === null && plan.claim === null) return none({ fired: false, early: true });
      const events: NewEvent[] = [];
      const eventIds: string[] = [];
      if (plan.skip) {
        events.push({ type: "cron.slot.skipped", data: { ...plan.skip, at: env.now, nextAt: plan.claim === null ? plan.nextAt : null } });
        eventIds.push(`${id}-skip-${plan.skip.from}`);
      }
      if (plan.claim !== null) {
        const claimed = claim(ctx, plan.claim, env.now, false, plan.nextAt);
        events.push(...claimed.events);
        eventIds.push(...(claimed.eventIds ?? []));
      }
      return { events, eventIds, reply: { fired: plan.claim !== null, slot: plan.claim, skipped: plan.skip?.count ?? 0 } };
    }
    case "started": {
      if (state !== "claimed" || ctx.current?.slot !== c.params.slot) return none({ recorded: false });
      return {
        events: [{ type: "cron.run.started", data: { ...c.params, at: env.now } }],
        eventIds: [`${id}-started-${c.params.slot}`],
        reply: { recorded: true },
      };
    }
    case "finish": {
      const cur = ctx.current;
      if ((state !== "claimed" && state !== "running") || cur?.slot !== c.params.slot) return none({ recorded: false });
      const base = { slot: cur.slot, at: env.now, durationMs: Math.max(0, env.now - cur.at) };
      const event: NewEvent =
        c.params.status === "completed" && c.params.runId
          ? { type: "cron.run.completed", data: { ...base, runId: c.params.runId, usage: c.params.usage ?? null } }
          : {
              type: "cron.run.failed",
              data: { ...base, runId: c.params.runId, error: c.params.error ?? { code: "internal", message: "the run failed" } },
            };
      return { events: [event], eventIds: [`${id}-end-${cur.slot}`], reply: { recorded: true } };
    }
    case "time_out": {
      const cur = ctx.current;
      if ((state !== "claimed" && state !== "running") || cur?.slot !== c.params.slot) return none({ recorded: false });
      if (env.now < cur.at + ctx.timeoutMs) return none({ recorded: false, early: true });
      return {
        events: [
          {
            type: "cron.run.timed_out",
            data: { slot: cur.slot, runId: cur.runId, at: env.now, durationMs: env.now - cur.at, timeoutMs: ctx.timeoutMs },
          },
        ],
        eventIds: [`${id}-end-${cur.slot}`],
        reply: { recorded: true },
      };
    }
  }
};

/** Claims one slot: the event (id derived from the slot) that must be durable before its run starts. */
const claim = (ctx: CronContext, slot: number, now: number, manual: boolean, nextAt: number | null): Decision => {
  const sessionKey = jobSessionKey(ctx);
  const messageId = slotMessageId(ctx.id, slot, manual);
  return {
    events: [{ type: "cron.slot.claimed", data: { slot, at: now, manual, sessionKey, messageId, nextAt } }],
    eventIds: [`${ctx.id}-${manual ? "manual" : "slot"}-${slot}`],
    reply: { fired: true, slot, sessionKey, messageId, manual },
  };
};
