import { parse, print } from "./args.ts";
import { UsageError } from "./usage.ts";
import type { Paths } from "./paths.ts";

/** `cairn attachments …`, parsed here to keep main.ts short (loads nothing heavy until run). */

export const attachmentsHelp = `Usage: cairn attachments list [--grace <interval>] [--json]
       cairn attachments status [--grace <interval>] [--json]
       cairn attachments gc [--dry-run] [--grace <interval>] [--json]

Files sent with messages are kept once each, by SHA-256, in <data dir>/attachments.
A file is in use while an event of a chat that is not deleted names it (a message,
or a fork's copy of one); a deleted chat's files are no longer in use. The running
gateway's event log (with its archives) is read to decide.

list     every stored file: size, upload time, state, the chats that use it
status   counts and bytes: in use, recent, unreferenced
gc       remove unreferenced files; a file uploaded within the grace period is
         kept whatever the log says (it may wait in a message box, unsent)

Options:
      --grace <i>    how long a new upload is kept unreferenced (default 24h;
                     s, m, h, d: 30m, 2d)
      --dry-run      say what gc would remove, remove nothing
      --json         one JSON object`;

const SUBS = ["list", "status", "gc"] as const;
const DEFAULT_GRACE_MS = 24 * 3600_000;
const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const;

/** `30m`, `24h`, `2d`, `0s`: a grace period in milliseconds. */
export const graceOf = (v: string | undefined): number => {
  if (v === undefined) return DEFAULT_GRACE_MS;
  const m = /^(\d+)([smhd])$/.exec(v.trim());
  if (!m) throw new UsageError(`--grace takes a number and a unit (s, m, h, d), e.g. 30m or 2d; got '${v}'`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
};

export async function attachmentsCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(attachmentsHelp);
  const known = SUBS.find((x) => x === sub);
  if (!known)
    throw new UsageError(`unknown subcommand 'attachments ${sub}'; try ${SUBS.map((x) => `'cairn attachments ${x}'`).join(", ")}`);
  const { values, positionals } = parse(args, { json: { type: "boolean" }, grace: { type: "string" }, "dry-run": { type: "boolean" } });
  if (values.help) return print(attachmentsHelp);
  const json = Boolean(values.json);
  setJson(json);
  if (positionals.length > 0) throw new UsageError(`'cairn attachments ${known}' takes no arguments; got '${positionals.join(" ")}'`);
  if (values["dry-run"] && known !== "gc") throw new UsageError("--dry-run is an option of 'cairn attachments gc'");
  const o = { json, graceMs: graceOf(values.grace as string | undefined) };
  const cmd = await import("./commands/attachments.ts");
  if (known === "gc") return cmd.attachmentsGc({ ...o, dryRun: Boolean(values["dry-run"]) }, paths);
  return known === "list" ? cmd.attachmentsList(o, paths) : cmd.attachmentsStatus(o, paths);
}
