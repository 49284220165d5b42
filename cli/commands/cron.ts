import * as Schema from "effect/Schema";
import { request, subjects } from "../../bus/index.ts";
import { CronJobId, type CronJobRow, type CronRunRow, type CronSchedule } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m`, `90s`, `2h`, `1d`, `1500ms`, or a combination (`1h30m`). */
export const parseInterval = (text: string): number => {
  const parts = [...text.matchAll(/(\d+)(ms|[smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new UsageError(`--every takes an interval such as 90s, 15m, 2h or 1d (units s, m, h, d), got '${text}'`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]], 0);
};

/** An ISO time; without an offset it is this machine's local time (as `date` shows it). */
export const parseAt = (text: string): number => {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`--at takes a date and time such as 2026-12-24T18:00 (local) or 2026-12-24T18:00Z, got '${text}'`);
  }
  return ms;
};

const checkName = (name: string | undefined): string => {
  if (!name) throw new UsageError("a cron job needs a name: --name <name> (letters, digits, '_' or '-')");
  if (!Schema.is(CronJobId)(name)) {
    throw new UsageError(`a cron job name is 1-48 characters of letters, digits, '_' or '-', got '${name}'`);
  }
  return name;
};

/** The flags `cron add` and `cron edit` share: a job's schedule and settings, as typed. */
export interface JobFlags {
  every?: string;
  cron?: string;
  tz?: string;
  at?: string;
  prompt?: string;
  model?: string;
  session?: string;
  catchUp?: string;
  timeout?: string;
  sandbox?: string;
  approvalMode?: string;
}

export interface AddOptions extends JobFlags {
  name?: string;
  disabled: boolean;
  json: boolean;
}

const SANDBOXES = ["auto", "docker", "bubblewrap", "none"];
const APPROVALS = ["always", "smart", "never"];

/** `--sandbox` / `--approval-mode`: a value, or null for `default` (the `[cron]` and configured ones). */
const choice = (flag: string, v: string, allowed: readonly string[]): string | null => {
  if (v === "default") return null;
  if (!allowed.includes(v)) throw new UsageError(`${flag} is one of ${allowed.join(", ")} or default, got '${v}'`);
  return v;
};

/** How a job's runs act: its own sandbox and approval mode, or the configured ones. */
const policyText = (j: { sandbox: string | null; approvalMode: string | null }) =>
  `sandbox ${j.sandbox ?? "as configured"}, approvals ${j.approvalMode ?? "as configured"}`;

/** The schedule the flags name: exactly one of --every, --cron, --at (--tz goes with --cron). */
export const scheduleOf = (o: Pick<AddOptions, "every" | "cron" | "at" | "tz">): CronSchedule => {
  const given = [o.every, o.cron, o.at].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one schedule: --every <interval>, --cron "<expr>" [--tz <zone>] or --at <time>');
  if (o.tz !== undefined && o.cron === undefined) throw new UsageError("--tz goes with --cron");
  if (o.every !== undefined) return { kind: "every", everyMs: parseInterval(o.every) };
  if (o.cron !== undefined) return { kind: "cron", expr: o.cron, ...(o.tz ? { tz: o.tz } : {}) };
  return { kind: "at", at: parseAt(o.at as string) };
};

const describe = (s: CronSchedule): string =>
  s.kind === "every"
    ? `every ${s.everyMs / 1000}s${s.activeHours ? ` ${s.activeHours.start}-${s.activeHours.end} ${s.activeHours.tz ?? "UTC"}` : ""}`
    : s.kind === "cron"
      ? `cron "${s.expr}" ${s.tz ?? "UTC"}`
      : `at ${localTime(s.at)}`;

const CATCH_UP = ["skip", "run_once", "run_all"];

/** `cairn cron add`: creates a job (a command to the job's aggregate; the gateway checks the schedule). */
export async function cronAdd(o: AddOptions, paths: Paths): Promise<number> {
  const name = checkName(o.name);
  const schedule = scheduleOf(o);
  if (!o.prompt) throw new UsageError('a cron job needs --prompt "<what the agent should do>"');
  if (o.catchUp !== undefined && !CATCH_UP.includes(o.catchUp)) throw new UsageError(`--catch-up is one of ${CATCH_UP.join(", ")}`);
  const params = {
    schedule,
    prompt: o.prompt,
    ...(o.model ? { model: o.model } : {}),
    ...(o.session ? { session: o.session } : {}),
    ...(o.catchUp ? { catchUp: o.catchUp } : {}),
    ...(o.timeout ? { timeoutMs: parseInterval(o.timeout) } : {}),
    ...(o.sandbox ? { sandbox: choice("--sandbox", o.sandbox, SANDBOXES) } : {}),
    ...(o.approvalMode ? { approvalMode: choice("--approval-mode", o.approvalMode, APPROVALS) } : {}),
    ...(o.disabled ? { disabled: true } : {}),
  };
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.command("cron", name, "create"), params)) as { nextAt: number | null; session: string };
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `${name}: ${describe(schedule)}, next run ${r.nextAt === null ? "none" : localTime(r.nextAt)}, session ${r.session}\n`,
      );
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn cron list`: every job with its next run and last result. */
export async function cronList(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.query("cron", "list"), {})) as { jobs: CronJobRow[] };
    if (o.json) {
      process.stdout.write(r.jobs.map((j) => `${JSON.stringify(j)}\n`).join(""));
      return 0;
    }
    if (r.jobs.length === 0) {
      process.stdout.write('no cron jobs yet; add one with cairn cron add --name N --every 15m --prompt "…"\n');
      return 0;
    }
    const rows = [
      ["NAME", "SCHEDULE", "ENABLED", "NEXT RUN", "LAST", "RUNS", "SANDBOX", "APPROVALS"],
      ...r.jobs.map((j) => [
        j.system ? `${j.name} (system)` : j.name,
        describe(j.schedule),
        j.enabled ? "yes" : "no",
        j.nextAt === null ? "-" : localTime(j.nextAt),
        j.lastStatus ?? "-",
        String(j.runs),
        j.sandbox ?? "-",
        j.approvalMode ?? "-",
      ]),
    ];
    process.stdout.write(table(rows));
    return 0;
  } finally {
    await nc.close();
  }
}

const runRows = (runs: readonly CronRunRow[]) => [
  ["SLOT", "STATUS", "RUN", "DURATION", "TOKENS IN/OUT", "NOTE"],
  ...runs.map((r) => [
    `${localTime(r.slot)}${r.manual ? " (now)" : ""}`,
    r.status,
    r.runId ?? "-",
    r.durationMs === null ? "-" : `${(r.durationMs / 1000).toFixed(1)}s`,
    r.inputTokens === null ? "-" : `${r.inputTokens}/${r.outputTokens}`,
    r.status === "skipped" ? `${r.count} slot(s), ${r.reason}` : r.error ? (JSON.parse(r.error) as { code: string }).code : "",
  ]),
];

/** `cairn cron show <name>`: the job and its latest slots. */
export async function cronShow(o: { name: string; json: boolean }, paths: Paths): Promise<number> {
  const name = checkName(o.name);
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.query("cron", "get"), { name })) as { job: CronJobRow; runs: CronRunRow[] };
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const j = r.job;
    process.stdout.write(
      `${j.name}${j.system ? " (system)" : ""}: ${describe(j.schedule)}, ${j.enabled ? "enabled" : "disabled"}\n` +
        `  next run   ${j.nextAt === null ? "none" : localTime(j.nextAt)}\n` +
        `  session    ${j.session}${j.model ? `, model ${j.model}` : ""}\n` +
        `  catch-up   ${j.catchUp}, timeout ${j.timeoutMs / 1000}s\n` +
        `  runs with  ${policyText(j)}\n` +
        (j.owner ? `  made by    the agent of session ${j.owner}\n` : "") +
        `  runs       ${j.runs} (${j.skipped} slot(s) skipped)\n` +
        `  prompt     ${j.prompt.replace(/\s+/g, " ")}\n`,
    );
    if (r.runs.length > 0) process.stdout.write(table(runRows(r.runs)));
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn cron runs <name>`: the job's slots, newest first. */
export async function cronRuns(o: { name: string; limit?: number; json: boolean }, paths: Paths): Promise<number> {
  const name = checkName(o.name);
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.query("cron", "runs"), { name, ...(o.limit ? { limit: o.limit } : {}) })) as {
      runs: CronRunRow[];
    };
    if (o.json) process.stdout.write(r.runs.map((x) => `${JSON.stringify(x)}\n`).join(""));
    else if (r.runs.length === 0) process.stdout.write(`${name} has not run yet\n`);
    else process.stdout.write(table(runRows(r.runs)));
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn cron enable|disable|run|remove <name>`: one command to the job. */
export async function cronVerb(
  o: { name: string; verb: "enable" | "disable" | "run" | "remove"; json: boolean },
  paths: Paths,
): Promise<number> {
  const name = checkName(o.name);
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.command("cron", name, o.verb), {})) as {
      nextAt?: number | null;
      slot?: number;
      sessionKey?: string;
    };
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (o.verb === "run")
      process.stdout.write(`${name}: running now in session ${r.sessionKey}; 'cairn cron runs ${name}' shows how it ends\n`);
    else if (o.verb === "remove") process.stdout.write(`${name} removed\n`);
    else process.stdout.write(`${name} ${o.verb}d${r.nextAt ? `, next run ${localTime(r.nextAt)}` : ""}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

export interface EditOptions extends JobFlags {
  name: string;
  json: boolean;
}

/**
 * `cairn cron edit <name>`: the flags given replace the job's settings (one `cron.job.updated`);
 * `--model default`, `--session own`, `--sandbox default`, `--approval-mode default` clear them. A
 * new schedule counts from now on.
 */
export async function cronEdit(o: EditOptions, paths: Paths): Promise<number> {
  const name = checkName(o.name);
  if (o.catchUp !== undefined && !CATCH_UP.includes(o.catchUp)) throw new UsageError(`--catch-up is one of ${CATCH_UP.join(", ")}`);
  const hasSchedule = [o.every, o.cron, o.at].some((v) => v !== undefined);
  if (o.tz !== undefined && o.cron === undefined) throw new UsageError("--tz goes with --cron");
  const params = {
    ...(hasSchedule ? { schedule: scheduleOf(o) } : {}),
    ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
    ...(o.model !== undefined ? { model: o.model === "default" ? null : o.model } : {}),
    ...(o.session !== undefined ? { session: o.session === "own" ? null : o.session } : {}),
    ...(o.catchUp !== undefined ? { catchUp: o.catchUp } : {}),
    ...(o.timeout !== undefined ? { timeoutMs: parseInterval(o.timeout) } : {}),
    ...(o.sandbox !== undefined ? { sandbox: choice("--sandbox", o.sandbox, SANDBOXES) } : {}),
    ...(o.approvalMode !== undefined ? { approvalMode: choice("--approval-mode", o.approvalMode, APPROVALS) } : {}),
  };
  if (Object.keys(params).length === 0) {
    throw new UsageError(
      "nothing to change: give --every/--cron/--at, --prompt, --model, --session, --catch-up, --timeout, --sandbox or --approval-mode",
    );
  }
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.command("cron", name, "update"), params)) as {
      schedule: CronSchedule;
      nextAt: number | null;
      sandbox: string | null;
      approvalMode: string | null;
    };
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `${name}: ${describe(r.schedule)}, next run ${r.nextAt === null ? "none" : localTime(r.nextAt)}, ${policyText(r)}\n`,
      );
    return 0;
  } finally {
    await nc.close();
  }
}
