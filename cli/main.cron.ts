import { int, parse, print } from "./args.ts";
import { cronHelp } from "./help.agent.ts";
import type { JobFlags } from "./commands/cron.ts";
import type { Paths } from "./paths.ts";
import { UsageError } from "./usage.ts";

const SUBCOMMANDS = ["add", "edit", "list", "show", "runs", "enable", "disable", "run", "remove"] as const;

/** `cairn cron …`: scheduled agent turns, parsed here to keep main.ts short. */
export async function cronCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(cronHelp);
  const known = SUBCOMMANDS.find((x) => x === sub);
  if (!known) throw new UsageError(`unknown subcommand 'cron ${sub}'; try ${SUBCOMMANDS.map((x) => `'cairn cron ${x}'`).join(", ")}`);
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    name: { type: "string" },
    every: { type: "string" },
    cron: { type: "string" },
    tz: { type: "string" },
    at: { type: "string" },
    prompt: { type: "string" },
    model: { type: "string" },
    session: { type: "string" },
    "catch-up": { type: "string" },
    timeout: { type: "string" },
    sandbox: { type: "string" },
    "approval-mode": { type: "string" },
    disabled: { type: "boolean" },
    limit: { type: "string" },
  });
  if (values.help) return print(cronHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/cron.ts");
  const str = (k: string) => values[k] as string | undefined;
  const jobFlags = (): JobFlags => ({
    every: str("every"),
    cron: str("cron"),
    tz: str("tz"),
    at: str("at"),
    prompt: str("prompt"),
    model: str("model"),
    session: str("session"),
    catchUp: str("catch-up"),
    timeout: str("timeout"),
    sandbox: str("sandbox"),
    approvalMode: str("approval-mode"),
  });
  if (known === "add") {
    if (positionals.length > 0) throw new UsageError(`unexpected '${positionals[0]}'; the prompt goes in --prompt "…"`);
    return await cmd.cronAdd({ name: str("name"), ...jobFlags(), disabled: Boolean(values.disabled), json }, paths);
  }
  if (known === "list") return await cmd.cronList({ json }, paths);
  const name = positionals[0] ?? str("name");
  if (!name || positionals.length > 1) throw new UsageError(`usage: cairn cron ${known} <name>`);
  if (known === "show") return await cmd.cronShow({ name, json }, paths);
  if (known === "edit") return await cmd.cronEdit({ name, ...jobFlags(), json }, paths);
  if (known === "runs") return await cmd.cronRuns({ name, json, limit: int(str("limit"), "--limit", 1) }, paths);
  return await cmd.cronVerb({ name, verb: known, json }, paths);
}
