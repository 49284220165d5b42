import { assertEvent, assign, setup } from "xstate";
import type { CatchUpPolicy, CronApprovalMode, CronSandbox, CronSchedule, Usage } from "../../schemas/index.ts";
import { HYDRATED, type Hydrated, type MachineEvent } from "../runtime/index.ts";

// 2: the context gained sandbox, approvalMode and owner.
export const CRON_MACHINE_VERSION = 2;

/** The slot being worked on: claimed, then its run started, until the run's outcome is recorded. */
export interface CronCurrent {
  readonly slot: number;
  readonly manual: boolean;
  /** When the slot was claimed (the scheduler's clock): the timeout counts from here. */
  readonly at: number;
  readonly sessionKey: string;
  readonly messageId: string;
  readonly runId: string | null;
}

export type CronLastStatus = "completed" | "failed" | "timed_out";

export interface CronContext {
  readonly id: string;
  readonly schedule: CronSchedule;
  readonly prompt: string;
  readonly model: string | null;
  readonly session: string | null;
  readonly catchUp: CatchUpPolicy;
  readonly timeoutMs: number;
  readonly enabled: boolean;
  readonly system: boolean;
  /** The `exec` sandbox and approval mode of its runs (null: the `[cron]` defaults, then the configuration's). */
  readonly sandbox: CronSandbox;
  readonly approvalMode: CronApprovalMode;
  /** The session whose agent made it with the `cron` tool (null: a person or cairn). */
  readonly owner: string | null;
  /** The next slot: a deadline as data. Whoever owns the job arms a timer from it, also after a restart. */
  readonly nextAt: number | null;
  readonly current: CronCurrent | null;
  readonly lastSlot: number | null;
  readonly lastStatus: CronLastStatus | null;
  readonly lastUsage: Usage | null;
}

type Ev =
  | MachineEvent<"cron.job.created">
  | MachineEvent<"cron.job.updated">
  | MachineEvent<"cron.job.removed">
  | MachineEvent<"cron.job.enabled">
  | MachineEvent<"cron.job.disabled">
  | MachineEvent<"cron.slot.claimed">
  | MachineEvent<"cron.slot.skipped">
  | MachineEvent<"cron.run.started">
  | MachineEvent<"cron.run.completed">
  | MachineEvent<"cron.run.failed">
  | MachineEvent<"cron.run.timed_out">
  | Hydrated;

export type ArmParams = { id: string; nextAt: number | null };
export type StartRunParams = { id: string; slot: number; sessionKey: string; messageId: string; prompt: string; model: string | null };
export type WatchRunParams = { id: string; slot: number; runId: string; sessionKey: string; claimedAt: number; deadline: number };

/** The cron job's effects, one per action placeholder: implemented by `cronEffects`. */
export interface CronEffects {
  readonly arm: (p: ArmParams) => Promise<void>;
  readonly startRun: (p: StartRunParams) => Promise<void>;
  readonly watchRun: (p: WatchRunParams) => Promise<void>;
}

const arm = {
  type: "arm" as const,
  params: ({ context }: { context: CronContext }): ArmParams => ({ id: context.id, nextAt: context.enabled ? context.nextAt : null }),
};
const startRun = {
  type: "startRun" as const,
  params: ({ context }: { context: CronContext }): StartRunParams => {
    const c = context.current as CronCurrent;
    return { id: context.id, slot: c.slot, sessionKey: c.sessionKey, messageId: c.messageId, prompt: context.prompt, model: context.model };
  },
};
const watchRun = {
  type: "watchRun" as const,
  params: ({ context }: { context: CronContext }): WatchRunParams => {
    const c = context.current as CronCurrent;
    return {
      id: context.id,
      slot: c.slot,
      runId: c.runId ?? "",
      sessionKey: c.sessionKey,
      claimedAt: c.at,
      deadline: c.at + context.timeoutMs,
    };
  },
};

// Settings may change in any live state; a run in progress keeps what it started with.
const settings = {
  "cron.job.updated": { actions: "update" },
  "cron.job.enabled": { actions: "enable" },
  "cron.job.disabled": { actions: "disable" },
} as const;
const ended = { target: "idle" as const, actions: ["ended" as const, arm] };
const statusOf = { "cron.run.completed": "completed", "cron.run.failed": "failed", "cron.run.timed_out": "timed_out" } as const;

/**
 * One cron job: new → idle ⇄ claimed → running → idle …, removed at the end. In `idle` a timer is
 * armed at `nextAt`; when it is due the job claims the slot (an event) and only then starts the
 * run (`startRun`, idempotent by its message id), watches it to its end or its timeout
 * (`watchRun`), and arms the next slot. On `cairn.hydrated` each state re-arms its one effect, so
 * a restart or a failover needs no other recovery.
 */
export const cronMachine = setup({
  types: { context: {} as CronContext, events: {} as Ev, input: {} as { id: string } },
  actions: {
    create: assign(({ event }) => {
      assertEvent(event, "cron.job.created");
      const d = event.data;
      return {
        ...d,
        sandbox: d.sandbox ?? null,
        approvalMode: d.approvalMode ?? null,
        owner: d.owner ?? null,
        current: null,
        lastSlot: null,
        lastStatus: null,
        lastUsage: null,
      };
    }),
    update: assign(({ event }) => {
      assertEvent(event, "cron.job.updated");
      return { ...event.data };
    }),
    enable: assign(({ event }) => {
      assertEvent(event, "cron.job.enabled");
      return { enabled: true, nextAt: event.data.nextAt };
    }),
    // A disabled job has no next slot: enabling it schedules from then on, so the time it was off
    // is not "missed" and not caught up.
    disable: assign({ enabled: false, nextAt: null }),
    ended: assign(({ context, event }) => {
      assertEvent(event, ["cron.run.completed", "cron.run.failed", "cron.run.timed_out"]);
      return {
        current: null,
        lastSlot: context.current?.slot ?? null,
        lastStatus: statusOf[event.type],
        lastUsage: event.type === "cron.run.completed" ? event.data.usage : null,
      };
    }),
    arm: (_, _p: ArmParams) => {},
    startRun: (_, _p: StartRunParams) => {},
    watchRun: (_, _p: WatchRunParams) => {},
  },
}).createMachine({
  id: "cron",
  context: ({ input }) => ({
    id: input?.id ?? "",
    schedule: { kind: "at", at: 0 },
    prompt: "",
    model: null,
    session: null,
    catchUp: "run_once",
    timeoutMs: 0,
    enabled: false,
    system: false,
    sandbox: null,
    approvalMode: null,
    owner: null,
    nextAt: null,
    current: null,
    lastSlot: null,
    lastStatus: null,
    lastUsage: null,
  }),
  initial: "new",
  states: {
    new: { on: { "cron.job.created": { target: "idle", actions: ["create", arm] } } },
    idle: {
      on: {
        "cron.job.updated": { actions: ["update", arm] },
        "cron.job.enabled": { actions: ["enable", arm] },
        "cron.job.disabled": { actions: ["disable", arm] },
        "cron.slot.claimed": {
          target: "claimed",
          actions: [
            assign(({ context, event }) => ({
              current: {
                slot: event.data.slot,
                manual: event.data.manual,
                at: event.data.at,
                sessionKey: event.data.sessionKey,
                messageId: event.data.messageId,
                runId: null,
              },
              // A manual run leaves the schedule as it was.
              nextAt: event.data.manual ? context.nextAt : event.data.nextAt,
            })),
            startRun,
          ],
        },
        "cron.slot.skipped": { actions: [assign(({ event }) => ({ nextAt: event.data.nextAt })), arm] },
        "cron.job.removed": { target: "removed", actions: [assign({ enabled: false, nextAt: null }), arm] },
        [HYDRATED]: { actions: arm },
      },
    },
    claimed: {
      on: {
        ...settings,
        "cron.run.started": {
          target: "running",
          actions: [
            assign(({ context, event }) => ({ current: { ...(context.current as CronCurrent), runId: event.data.runId } })),
            watchRun,
          ],
        },
        "cron.run.failed": ended,
        "cron.run.timed_out": ended,
        "cron.job.removed": { target: "removed", actions: assign({ enabled: false, nextAt: null }) },
        // Claimed but not known to have started: start it again. The session answers a message id
        // it already has as a duplicate (with its run), so the slot never runs twice.
        [HYDRATED]: { actions: startRun },
      },
    },
    running: {
      on: {
        ...settings,
        "cron.run.completed": ended,
        "cron.run.failed": ended,
        "cron.run.timed_out": ended,
        "cron.job.removed": { target: "removed", actions: assign({ enabled: false, nextAt: null }) },
        [HYDRATED]: { actions: watchRun },
      },
    },
    // The name may be used again: `created` starts a new life (the old history stays in the log).
    removed: { on: { "cron.job.created": { target: "idle", actions: ["create", arm] } } },
  },
});
