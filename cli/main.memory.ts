import { int, parse, print } from "./args.ts";
import { memoryHelp, searchHelp } from "./help.agent.ts";
import { UsageError } from "./usage.ts";
import type { Paths } from "./paths.ts";

/** `cairn search …` (past chats) and `cairn memory …` (memory files), parsed here to keep main.ts short. */

export async function searchCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const { values, positionals } = parse(rest, {
    json: { type: "boolean" },
    session: { type: "string", short: "s" },
    limit: { type: "string" },
  });
  if (values.help) return print(searchHelp);
  const json = Boolean(values.json);
  setJson(json);
  const query = positionals.join(" ").trim();
  if (!query) throw new UsageError('usage: cairn search "<words>" [--session <key>] [--limit <n>] [--json]');
  const limit = int(values.limit as string | undefined, "--limit", 1);
  return (await import("./commands/search.ts")).search(
    { query, json, ...(values.session ? { session: values.session as string } : {}), ...(limit ? { limit } : {}) },
    paths,
  );
}

const MEMORY_SUBS = ["status", "reindex", "search"] as const;

export async function memoryCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(memoryHelp);
  const known = MEMORY_SUBS.find((x) => x === sub);
  if (!known) throw new UsageError(`unknown subcommand 'memory ${sub}'; try ${MEMORY_SUBS.map((x) => `'cairn memory ${x}'`).join(", ")}`);
  const { values, positionals } = parse(args, { json: { type: "boolean" }, limit: { type: "string" } });
  if (values.help) return print(memoryHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/memory.ts");
  if (known === "search") {
    const query = positionals.join(" ").trim();
    if (!query) throw new UsageError('usage: cairn memory search "<words>" [--limit <n>] [--json]');
    const limit = int(values.limit as string | undefined, "--limit", 1);
    return cmd.memorySearch({ query, json, ...(limit ? { limit } : {}) }, paths);
  }
  if (positionals.length > 0) throw new UsageError(`'cairn memory ${known}' takes no arguments; got '${positionals.join(" ")}'`);
  return known === "status" ? cmd.memoryStatus({ json }, paths) : cmd.memoryReindex({ json }, paths);
}
