import { parse, print } from "./args.ts";
import { logHelp } from "./help.audit.ts";
import type { Paths } from "./paths.ts";
import { UsageError } from "./usage.ts";

/**
 * The log tools: `cairn log`, `audit`, `events`, `export`, `import` and `sessions at`. Their
 * command table, apart from main.ts's; a command is imported only when it runs.
 */

export async function logCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help") return print(logHelp);
  if (sub !== "verify") throw new UsageError(`unknown subcommand 'log ${sub}'; try 'cairn log verify'`);
  const { values } = parse(args, { json: { type: "boolean" } });
  if (values.help) return print(logHelp);
  setJson(Boolean(values.json));
  return (await import("./commands/log.ts")).logVerify({ json: Boolean(values.json) }, paths);
}
