import * as Schema from "effect/Schema";
import { CairnError, CronJobId, ModelId, type CronJobRow, type CronSchedule } from "../../schemas/index.ts";
import type { Dispatch } from "../runtime/index.ts";
import { defineTool, type Tool } from "../tools/index.ts";
import { parseInterval, type CronSettings } from "./cron.config.ts";
import { CronRateLimiter } from "./cron.rate.ts";

const text = (description: string) => Schema.optionalKey(Schema.String.annotate({ description }));

export const CronToolParams = Schema.Struct({
  action: Schema.Literals(["list", "add", "update", "remove"]).annotate({
    description: "list: the jobs this session made; add: a new job; update: change one of them; remove: delete one of them.",
  }),
  name: Schema.optionalKey(CronJobId.annotate({ description: "The job's name (letters, digits, '-', '_'); needed except for list." })),
  every: text("An interval such as 15m, 2h or 1d (one of every, cron, at)."),
  cron: text('A 5-field cron expression such as "0 9 * * 1-5" (one of every, cron, at).'),
  tz: text("The IANA time zone of a cron expression, e.g. Europe/Berlin (default UTC)."),
  at: text("A one-shot time as ISO 8601 with an offset, e.g. 2026-12-24T18:00:00Z (one of every, cron, at)."),
  prompt: text("What the agent is asked on each run."),
  model: Schema.optionalKey(ModelId.annotate({ description: "provider/model for the runs (default: the configured one)." })),
  timeout: text("How long one run may take, e.g. 10m (default 10m)."),
  sandbox: Schema.optionalKey(
    Schema.Literals(["auto", "docker", "bubblewrap"]).annotate({ description: "The exec sandbox of the runs (default: configured)." }),
  ),
  approval_mode: Schema.optionalKey(
    Schema.Literals(["always", "smart"]).annotate({
      description: "How the runs ask before dangerous calls; never looser than configured (default: configured).",
    }),
  ),
});
export type CronToolParams = typeof CronToolParams.Type;

export interface CronToolDeps {
  readonly dispatch: Dispatch;
  /** The jobs as the read model lists them. */
  readonly list: () => Promise<readonly CronJobRow[]>;
  readonly settings: CronSettings;
  /**
   * The approval mode jobs' runs get by default (`[cron] approval_mode`, else what Settings or
   * `[tools.exec]` say), read at each call: a change in Settings applies without a restart.
   */
  readonly defaultApprovalMode: () => Promise<"always" | "smart" | "never">;
  readonly now?: () => number;
}

const STRICTNESS = { never: 0, smart: 1, always: 2 } as const;

const scheduleOf = (a: CronToolParams): CronSchedule | undefined => {
  const given = [a.every, a.cron, a.at].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given > 1) throw new CairnError("bad_request", "give one schedule: every, cron or at");
  if (a.tz !== undefined && a.cron === undefined) throw new CairnError("bad_request", "tz goes with cron");
  if (a.every !== undefined) {
    const ms = parseInterval(a.every);
    if (ms === null) throw new CairnError("bad_request", `every takes an interval such as 15m or 2h, got '${a.every}'`);
    return { kind: "every", everyMs: ms };
  }
  if (a.cron !== undefined) return { kind: "cron", expr: a.cron, ...(a.tz ? { tz: a.tz } : {}) };
  const at = Date.parse(a.at as string);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})$/.test(a.at as string) || Number.isNaN(at))
    throw new CairnError("bad_request", `at takes an ISO time with an offset such as 2026-12-24T18:00:00Z, got '${a.at}'`);
  return { kind: "at", at };
};

const describe = (j: CronJobRow): string => {
  const s = j.schedule;
  const when =
    s.kind === "every"
      ? `every ${s.everyMs / 1000}s`
      : s.kind === "cron"
        ? `cron "${s.expr}" ${s.tz ?? "UTC"}`
        : `at ${new Date(s.at).toISOString()}`;
  const next = j.nextAt === null ? "none" : new Date(j.nextAt).toISOString();
  return `- ${j.name}: ${when}, ${j.enabled ? "enabled" : "disabled"}, next ${next}, last ${j.lastStatus ?? "-"}; prompt: ${j.prompt}`;
};

/**
 * The agent's `cron` tool: it lists, adds, changes and removes the jobs its own session made
 * (`owner`, checked by the job's aggregate, so a job a person or another session made is out of
 * reach). Adding and changing count against `[cron] rate_limit_max`. It is dangerous: each call
 * goes through the run's approval gate like any tool that changes what the agent does later. A
 * job it makes never runs with less care than configured: no "none" sandbox, no looser approvals.
 */
export const cronTool = (d: CronToolDeps): Tool<CronToolParams> => {
  const limiter = new CronRateLimiter(d.settings.rateLimitMax, d.settings.rateLimitWindowMs, d.now);
  return defineTool({
    name: "cron",
    description:
      "Schedule agent work: list, add, update or remove this session's cron jobs. A job runs the prompt as an agent turn " +
      "on its schedule (every interval, a cron expression in a time zone, or once at a time), in its own session.",
    source: "builtin",
    dangerous: true,
    params: CronToolParams,
    async run(a, ctx) {
      if (a.action === "list") {
        const mine = (await d.list()).filter((j) => j.owner === ctx.sessionKey);
        return { output: mine.length === 0 ? "this session has made no cron jobs" : mine.map(describe).join("\n") };
      }
      const name = a.name;
      if (!name) throw new CairnError("bad_request", `${a.action} needs the job's name`);
      if (a.action === "remove") {
        await d.dispatch("cron", name, "remove", { asOwner: ctx.sessionKey });
        return { output: `removed cron job ${name}` };
      }
      const configured = a.approval_mode && (await d.defaultApprovalMode());
      if (a.approval_mode && configured && STRICTNESS[a.approval_mode] < STRICTNESS[configured]) {
        throw new CairnError(
          "forbidden",
          `approval_mode ${a.approval_mode} is looser than the configured ${configured}; a job may only ask more often`,
        );
      }
      const schedule = scheduleOf(a);
      let timeoutMs: number | undefined;
      if (a.timeout !== undefined) {
        const ms = parseInterval(a.timeout);
        if (ms === null) throw new CairnError("bad_request", `timeout takes an interval such as 10m, got '${a.timeout}'`);
        timeoutMs = ms;
      }
      const fields = {
        ...(a.prompt !== undefined ? { prompt: a.prompt } : {}),
        ...(a.model !== undefined ? { model: a.model } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(a.sandbox !== undefined ? { sandbox: a.sandbox } : {}),
        ...(a.approval_mode !== undefined ? { approvalMode: a.approval_mode } : {}),
      };
      if (a.action === "add") {
        if (!schedule) throw new CairnError("bad_request", "add needs a schedule: every, cron or at");
        if (a.prompt === undefined) throw new CairnError("bad_request", "add needs the prompt each run is given");
        limiter.take();
        const r = (await d.dispatch("cron", name, "create", { schedule, ...fields, owner: ctx.sessionKey })) as {
          nextAt: number | null;
          session: string;
        };
        return {
          output: `cron job ${name} added; next run ${r.nextAt === null ? "none" : new Date(r.nextAt).toISOString()}, session ${r.session}`,
        };
      }
      if (!schedule && Object.keys(fields).length === 0) throw new CairnError("bad_request", "update needs something to change");
      limiter.take();
      const r = (await d.dispatch("cron", name, "update", { ...(schedule ? { schedule } : {}), ...fields, asOwner: ctx.sessionKey })) as {
        nextAt: number | null;
      };
      return { output: `cron job ${name} updated; next run ${r.nextAt === null ? "none" : new Date(r.nextAt).toISOString()}` };
    },
  });
};
