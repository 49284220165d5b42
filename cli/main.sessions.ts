import { int, parse, print } from "./args.ts";
import { sessionsHelp } from "./help.ts";
import { sessionsLogCommand } from "./main.audit.ts";
import type { Paths } from "./paths.ts";
import { UsageError } from "./usage.ts";

/** `cairn sessions …`: list, show and change sessions; `at`, `export` and `import` read the log (main.audit.ts). */
export async function sessionsCommand(rest: string[], paths: Paths, json: boolean, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help") return print(sessionsHelp);
  if (sub === "at" || sub === "export" || sub === "import") return await sessionsLogCommand(sub, args, paths, setJson);
  if (!["list", "show", "fork", "delete", "compact", "rename", "pin", "unpin"].includes(sub)) {
    throw new UsageError(
      `unknown subcommand 'sessions ${sub}'; try 'cairn sessions list', 'show <key>', 'fork <key>', 'compact <key>', 'delete <key>', 'rename <key> <title>', 'pin <key>', 'unpin <key>', 'at <key>', 'export <key>' or 'import <file>'`,
    );
  }
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    limit: { type: "string", short: "n" },
    at: { type: "string" },
    label: { type: "string" },
  });
  if (values.help) return print(sessionsHelp);
  const cmd = await import("./commands/sessions.ts");
  if (sub === "list") return await cmd.sessionsList({ json, limit: int(values.limit as string | undefined, "--limit", 1) ?? 50 }, paths);
  if (sub === "rename") {
    if (positionals.length !== 2 || positionals[1].trim() === "")
      throw new UsageError("usage: cairn sessions rename <key> <title> [--json] (the title is not empty)");
    return await cmd.sessionsRename({ key: positionals[0], title: positionals[1], json }, paths);
  }
  if (positionals.length !== 1)
    throw new UsageError(`usage: cairn sessions ${sub} <key>${sub === "fork" ? " [--at <n>] [--label <text>]" : ""} [--json]`);
  if (sub === "fork") {
    const at = int(values.at as string | undefined, "--at", 0);
    return await cmd.sessionsFork(
      {
        key: positionals[0],
        json,
        ...(at !== undefined ? { at } : {}),
        ...(values.label !== undefined ? { label: values.label as string } : {}),
      },
      paths,
    );
  }
  if (sub === "delete") return await cmd.sessionsDelete({ key: positionals[0], json }, paths);
  if (sub === "compact") return await cmd.sessionsCompact({ key: positionals[0], json }, paths);
  if (sub === "pin" || sub === "unpin") return await cmd.sessionsPin({ key: positionals[0], pinned: sub === "pin", json }, paths);
  return await cmd.sessionsShow({ key: positionals[0], json }, paths);
}
