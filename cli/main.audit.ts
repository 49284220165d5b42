import { int, parse, print } from "./args.ts";
import { auditHelp, logHelp, sessionsLogHelp, sessionsLogUsage } from "./help.audit.ts";
import { isTokenSafe } from "../schemas/index.ts";
import type { Paths } from "./paths.ts";
import { UsageError } from "./usage.ts";

/**
 * The log tools: `cairn log`, `audit`, `events`, `export`, `import` and `sessions at`. Their
 * command table, apart from main.ts's; a command is imported only when it runs.
 */

export async function logCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help") return print(logHelp);
  if (sub !== "verify" && sub !== "archive" && sub !== "status")
    throw new UsageError(`unknown subcommand 'log ${sub}'; try 'cairn log status', 'cairn log verify' or 'cairn log archive'`);
  const { values } = parse(args, {
    json: { type: "boolean" },
    archive: { type: "boolean" },
    "max-age": { type: "string" },
    "max-bytes": { type: "string" },
  });
  if (values.help) return print(logHelp);
  setJson(Boolean(values.json));
  const cmd = await import("./commands/log.ts");
  if (sub === "status") return cmd.logStatus({ json: Boolean(values.json) }, paths);
  if (sub === "verify") return cmd.logVerify({ json: Boolean(values.json), archive: Boolean(values.archive) }, paths);
  const age = values["max-age"] as string | undefined;
  const maxBytes = int(values["max-bytes"] as string | undefined, "--max-bytes", 1);
  if (age === undefined && maxBytes === undefined)
    throw new UsageError("usage: cairn log archive --max-age <age> | --max-bytes <n> [--json]");
  const maxAgeMs =
    age === undefined ? undefined : Date.now() - (await import("./commands/audit.ts")).parseSince(age, Date.now(), "--max-age");
  return cmd.logArchive(
    { json: Boolean(values.json), ...(maxAgeMs !== undefined ? { maxAgeMs } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) },
    paths,
  );
}

const ACTORS = ["user", "agent", "cron", "node", "hook", "channel", "system"] as const;
const CATEGORIES = ["tool", "approval", "auth", "config", "node"] as const;

const oneOf = <T extends string>(v: string | boolean | undefined, allowed: readonly T[], flag: string): T | undefined => {
  if (v === undefined) return undefined;
  if (!(allowed as readonly unknown[]).includes(v))
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got '${String(v)}'`);
  return v as T;
};

export async function auditCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const { values, positionals } = parse(rest, {
    json: { type: "boolean" },
    session: { type: "string" },
    run: { type: "string" },
    since: { type: "string" },
    actor: { type: "string" },
    kind: { type: "string" },
    all: { type: "boolean" },
    limit: { type: "string", short: "n" },
  });
  if (values.help) return print(auditHelp);
  if (positionals.length > 0) throw new UsageError(`cairn audit takes no arguments, got '${positionals[0]}'; run 'cairn audit --help'`);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/audit.ts");
  return cmd.auditList(
    {
      json,
      ...(typeof values.session === "string" ? { session: values.session } : {}),
      ...(typeof values.run === "string" ? { run: values.run } : {}),
      ...(typeof values.since === "string" ? { since: cmd.parseSince(values.since, Date.now()) } : {}),
      ...(values.actor !== undefined ? { actor: oneOf(values.actor, ACTORS, "--actor") } : {}),
      ...(values.kind !== undefined ? { category: oneOf(values.kind, CATEGORIES, "--kind") } : {}),
      all: Boolean(values.all),
      limit: int(values.limit as string | undefined, "--limit", 1) ?? 200,
    },
    paths,
  );
}

export async function eventsReplayCommand(args: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" }, to: { type: "string" }, into: { type: "string" } });
  if (values.help) return print((await import("./help.ts")).eventsHelp);
  const json = Boolean(values.json);
  setJson(json);
  const to = int(values.to as string | undefined, "--to", 1);
  if (to === undefined || typeof values.into !== "string" || values.into === "" || positionals.length > 0)
    throw new UsageError("usage: cairn events replay --to <seq> --into <dir> [--json]");
  return (await import("./commands/events.replay.ts")).eventsReplay({ json, to, into: values.into }, paths);
}

/** `cairn sessions at | export | import`: the session views read from the log itself. */
export async function sessionsLogCommand(
  sub: "at" | "export" | "import",
  args: string[],
  paths: Paths,
  setJson: (j: boolean) => void,
): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    seq: { type: "string" },
    time: { type: "string" },
    format: { type: "string" },
    out: { type: "string", short: "o" },
    as: { type: "string" },
  });
  if (values.help) return print(sessionsLogHelp);
  const json = Boolean(values.json);
  setJson(json);
  if (positionals.length !== 1) throw new UsageError(`usage: ${sessionsLogUsage[sub]}`);
  const [arg] = positionals;
  if (sub === "import") {
    if (values.as !== undefined && !isTokenSafe(values.as as string))
      throw new UsageError(`--as takes a session key (1-64 letters, digits, '_' or '-'), got '${String(values.as)}'`);
    return (await import("./commands/sessions.export.ts")).sessionsImport(
      { file: arg, json, ...(typeof values.as === "string" ? { as: values.as } : {}) },
      paths,
    );
  }
  if (!isTokenSafe(arg)) throw new UsageError(`a session key is 1-64 letters, digits, '_' or '-', got '${arg}'`);
  if (sub === "export") {
    const format = oneOf(values.format ?? "jsonl", ["jsonl", "markdown"] as const, "--format") ?? "jsonl";
    return (await import("./commands/sessions.export.ts")).sessionsExport(
      { key: arg, format, ...(typeof values.out === "string" ? { out: values.out } : {}) },
      paths,
    );
  }
  const seq = int(values.seq as string | undefined, "--seq", 0);
  if ((seq === undefined) === (values.time === undefined)) throw new UsageError(`usage: ${sessionsLogUsage.at}`);
  const at =
    seq !== undefined ? { seq } : { time: (await import("./commands/audit.ts")).parseSince(values.time as string, Date.now(), "--time") };
  return (await import("./commands/sessions.at.ts")).sessionsAt({ key: arg, at, json }, paths);
}
