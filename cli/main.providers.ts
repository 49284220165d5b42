import { parse, print } from "./args.ts";
import { modelsHelp, providersHelp } from "./help.ts";
import type { Paths } from "./paths.ts";
import { UsageError } from "./usage.ts";

/** `cairn providers …`: the model providers and their keys. */
export async function providersCommand(
  rest: string[],
  paths: Paths,
  env: NodeJS.ProcessEnv,
  json: boolean,
  setJson: (j: boolean) => void,
): Promise<number> {
  const [first, ...more] = rest;
  const sub = first === undefined || first.startsWith("-") ? "list" : first;
  const args = sub === first ? more : rest;
  if (sub === "help") return print(providersHelp);
  if (sub === "set-key") {
    // Parsed by hand so that nothing typed here is ever echoed: it may be a key.
    const flags = args.filter((a) => a.startsWith("-"));
    const names = args.filter((a) => !a.startsWith("-"));
    if (flags.some((f) => f === "-h" || f === "--help")) return print(providersHelp);
    if (flags.some((f) => f !== "--json") || names.length > 1) {
      throw new UsageError(
        "'cairn providers set-key' takes only the provider (and --json): the key is never taken from the command line, " +
          "where shell history and the process list would keep it; pipe it in (cairn providers set-key <provider> < key.txt) or run without it to be prompted",
      );
    }
    if (names.length === 0) throw new UsageError("usage: cairn providers set-key <provider> (the key is then read from stdin or a prompt)");
    const json = flags.includes("--json");
    setJson(json);
    return await (await import("./commands/providers.ts")).providersSetKey({ provider: names[0], json }, paths, env);
  }
  if (sub !== "list")
    throw new UsageError(`unknown subcommand 'providers ${sub}'; try 'cairn providers' or 'cairn providers set-key <provider>'`);
  const { values, positionals } = parse(args, { json: { type: "boolean" }, refresh: { type: "boolean" } });
  if (values.help) return print(providersHelp);
  if (positionals.length > 0) throw new UsageError(`'cairn providers list' takes no arguments; got '${positionals.join(" ")}'`);
  return await (await import("./commands/providers.ts")).providersList({ json, refresh: Boolean(values.refresh) }, paths, env);
}

/** `cairn models`: the models the providers offer. */
export async function modelsCommand(rest: string[], paths: Paths, env: NodeJS.ProcessEnv, json: boolean): Promise<number> {
  const { values, positionals } = parse(rest, {
    json: { type: "boolean" },
    provider: { type: "string", short: "p" },
    refresh: { type: "boolean" },
  });
  if (values.help) return print(modelsHelp);
  if (positionals.length > 0)
    throw new UsageError(`'cairn models' takes no arguments; got '${positionals.join(" ")}' (filter with --provider <id>)`);
  return await (await import("./commands/models.ts")).modelsList(
    { json, provider: values.provider as string | undefined, refresh: Boolean(values.refresh) },
    paths,
    env,
  );
}
