import { parseArgs } from "node:util";
import { chatHelp, eventsHelp, gatewayHelp, projectionsHelp } from "./help.ts";
import { nearest } from "./config/suggest.ts";
// Commands are imported when run: `cairn --help` must not load NATS, SQLite or the SDKs.
import { UsageError, fail } from "./output.ts";
import { resolvePaths } from "./paths.ts";
import { VERSION } from "./version.ts";

const mainHelp = `cairn ${VERSION} — a self-hosted personal AI gateway

Usage: cairn [command] [options]

Commands:
  gateway               run the gateway (the default when no command is given)
  chat <message>        send a message to the running gateway and stream the reply
  events tail           print the event log (--follow to keep watching)
  projections rebuild   rebuild every read model from the event log

Run 'cairn <command> --help' for a command's options.
Options: -h, --help   -v, --version`;

const COMMANDS = ["gateway", "chat", "events", "projections", "help"];

const int = (v: string | undefined, name: string, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, got '${v}'`);
  return n;
};

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Strict parsing (unknown flags are usage errors); every command gets -h/--help. */
const parse = (args: string[], options: Options) => {
  const r = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
};

/** Runs one CLI invocation; resolves with the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const paths = resolvePaths(env);
  const [command = "gateway", ...rest] = argv[0]?.startsWith("-") && !["-h", "--help", "-v", "--version"].includes(argv[0]) ? ["gateway", ...argv] : argv;
  let json = argv.includes("--json");
  try {
    if (command === "-h" || command === "--help" || command === "help") return print(mainHelp);
    if (command === "-v" || command === "--version") return print(VERSION);
    switch (command) {
      case "gateway": {
        const { values } = parse(rest, { host: { type: "string" }, port: { type: "string" } });
        if (values.help) return print(gatewayHelp);
        return await (await import("./commands/gateway.ts")).runGateway({ host: values.host as string | undefined, port: int(values.port as string | undefined, "--port", 0) }, paths, env);
      }
      case "chat": {
        const { values, positionals } = parse(rest, { session: { type: "string", short: "s" }, json: { type: "boolean" } });
        if (values.help) return print(chatHelp);
        json = Boolean(values.json);
        return await (await import("./commands/chat.ts")).chat({ session: (values.session as string | undefined) ?? "cli", json, text: positionals.join(" ") }, paths);
      }
      case "events": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(eventsHelp);
        if (sub !== "tail") throw new UsageError(`unknown subcommand 'events ${sub}'; try 'cairn events tail'`);
        const { values } = parse(args, {
          follow: { type: "boolean", short: "f" },
          json: { type: "boolean" },
          kind: { type: "string" },
          from: { type: "string" },
          limit: { type: "string", short: "n" },
        });
        if (values.help) return print(eventsHelp);
        return await (await import("./commands/events.ts")).eventsTail(
          {
            follow: Boolean(values.follow),
            json: Boolean(values.json),
            kind: values.kind as string | undefined,
            from: int(values.from as string | undefined, "--from", 1),
            limit: int(values.limit as string | undefined, "--limit", 1) ?? 50,
          },
          paths,
        );
      }
      case "projections": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(projectionsHelp);
        if (sub !== "rebuild") throw new UsageError(`unknown subcommand 'projections ${sub}'; try 'cairn projections rebuild'`);
        const { values } = parse(args, { json: { type: "boolean" } });
        if (values.help) return print(projectionsHelp);
        return await (await import("./commands/projections.ts")).projectionsRebuild({ json: Boolean(values.json) }, paths);
      }
      default: {
        const hint = nearest(command, COMMANDS);
        throw new UsageError(`unknown command '${command}'${hint ? ` (did you mean '${hint}'?)` : ""}; run 'cairn --help'`);
      }
    }
  } catch (e) {
    // node:util parseArgs throws plain TypeErrors for unknown flags: those are usage errors too.
    const err = (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? new UsageError((e as Error).message) : e;
    return fail(err, json);
  }
}

const print = (text: string): number => {
  process.stdout.write(`${text}\n`);
  return 0;
};
