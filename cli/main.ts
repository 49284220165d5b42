import {
  approvalsHelp,
  authHelp,
  chatHelp,
  clusterHelp,
  doctorHelp,
  eventsHelp,
  gatewayHelp,
  modelsHelp,
  projectionsHelp,
  providersHelp,
  sandboxHelp,
  sessionsHelp,
  statusHelp,
  metricsHelp,
  logsHelp,
} from "./help.ts";
import { cronHelp } from "./help.agent.ts";
import { channelsCommand, hooksCommand, mcpCommand, settingsCommand } from "./main.agent.ts";
import { nearest } from "./config/suggest.ts";
// Commands are imported when run: `cairn <command> --help` must not load NATS, SQLite, the SDKs
// or the schemas (output.ts, for the error message, too).
import { int, parse, print } from "./args.ts";
import { nodeCommand } from "./main.node.ts";
import { memoryCommand, searchCommand } from "./main.memory.ts";
import { attachmentsCommand } from "./main.attachments.ts";
import { auditCommand, eventsReplayCommand, logCommand, sessionsLogCommand } from "./main.audit.ts";
import { serviceCommand } from "./commands/service.main.ts";
import { UsageError } from "./usage.ts";
import { resolvePaths } from "./paths.ts";
import { VERSION } from "./version.ts";
import { commandOf, mainHelp } from "./launch.mjs";

const COMMANDS = [
  "gateway",
  "chat",
  "events",
  "projections",
  "log",
  "audit",
  "sessions",
  "providers",
  "models",
  "approvals",
  "cron",
  "search",
  "memory",
  "attachments",
  "auth",
  "sandbox",
  "node",
  "doctor",
  "status",
  "metrics",
  "logs",
  "cluster",
  "service",
  "mcp",
  "settings",
  "hooks",
  "help",
];

/** Runs one CLI invocation; resolves with the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const paths = resolvePaths(env);
  const [command, ...rest] = commandOf(argv);
  let json = argv.includes("--json");
  try {
    // cli/bin.mjs answers these two before loading this bundle; here for callers of main().
    if (command === "help") return print(mainHelp(VERSION));
    if (command === "version") return print(VERSION);
    switch (command) {
      case "gateway": {
        const { values } = parse(rest, { host: { type: "string" }, port: { type: "string" } });
        if (values.help) return print(gatewayHelp);
        return await (await import("./commands/gateway.ts")).runGateway(
          { host: values.host as string | undefined, port: int(values.port as string | undefined, "--port", 0) },
          paths,
          env,
        );
      }
      case "chat": {
        const { values, positionals } = parse(rest, {
          session: { type: "string", short: "s" },
          json: { type: "boolean" },
          model: { type: "string", short: "m" },
          attach: { type: "string", short: "a", multiple: true },
        });
        if (values.help) return print(chatHelp);
        json = Boolean(values.json);
        return await (await import("./commands/chat.ts")).chat(
          {
            session: (values.session as string | undefined) ?? "cli",
            json,
            text: positionals.join(" "),
            model: values.model as string | undefined,
            attach: (values.attach as string[] | undefined) ?? [],
          },
          paths,
        );
      }
      case "events": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(eventsHelp);
        if (sub === "replay")
          return await eventsReplayCommand(args, paths, (j) => {
            json = j;
          });
        if (sub !== "tail") throw new UsageError(`unknown subcommand 'events ${sub}'; try 'cairn events tail' or 'cairn events replay'`);
        const { values } = parse(args, {
          follow: { type: "boolean", short: "f" },
          json: { type: "boolean" },
          kind: { type: "string" },
          session: { type: "string" },
          run: { type: "string" },
          type: { type: "string" },
          from: { type: "string" },
          limit: { type: "string", short: "n" },
        });
        if (values.help) return print(eventsHelp);
        return await (await import("./commands/events.ts")).eventsTail(
          {
            follow: Boolean(values.follow),
            json: Boolean(values.json),
            kind: values.kind as string | undefined,
            session: values.session as string | undefined,
            run: values.run as string | undefined,
            type: values.type as string | undefined,
            from: int(values.from as string | undefined, "--from", 1),
            limit: int(values.limit as string | undefined, "--limit", 1) ?? 50,
          },
          paths,
        );
      }
      case "log":
        return await logCommand(rest, paths, (j) => {
          json = j;
        });
      case "audit":
        return await auditCommand(rest, paths, (j) => {
          json = j;
        });
      case "projections": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(projectionsHelp);
        if (sub !== "rebuild") throw new UsageError(`unknown subcommand 'projections ${sub}'; try 'cairn projections rebuild'`);
        const { values } = parse(args, { json: { type: "boolean" } });
        if (values.help) return print(projectionsHelp);
        return await (await import("./commands/projections.ts")).projectionsRebuild({ json: Boolean(values.json) }, paths);
      }
      case "sessions": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(sessionsHelp);
        if (sub === "at" || sub === "export" || sub === "import")
          return await sessionsLogCommand(sub, args, paths, (j) => {
            json = j;
          });
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
        if (sub === "list")
          return await cmd.sessionsList({ json, limit: int(values.limit as string | undefined, "--limit", 1) ?? 50 }, paths);
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
      case "sandbox": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(sandboxHelp);
        if (sub !== "status" && sub !== "build-image")
          throw new UsageError(`unknown subcommand 'sandbox ${sub}'; try 'cairn sandbox status' or 'build-image'`);
        const { values } = parse(args, { json: { type: "boolean" }, tag: { type: "string" } });
        if (values.help) return print(sandboxHelp);
        const cmd = await import("./commands/sandbox.ts");
        if (sub === "status") return await cmd.sandboxStatus({ json }, paths, env);
        return await cmd.sandboxBuildImage({ json, ...(values.tag !== undefined ? { tag: values.tag as string } : {}) }, paths, env);
      }
      case "auth": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(authHelp);
        const { values, positionals } = parse(args, { json: { type: "boolean" }, label: { type: "string" }, scopes: { type: "string" } });
        if (values.help) return print(authHelp);
        const cmd = await import("./commands/auth.ts");
        if (sub === "setup-code") return await cmd.authSetupCode({ json }, paths);
        if (sub === "password") return await cmd.authPassword({ json }, paths);
        if (sub === "logout-all") return await cmd.authLogoutAll({ json }, paths);
        if (sub !== "keys") throw new UsageError(`unknown subcommand 'auth ${sub}'; try 'cairn auth --help'`);
        const [verb, ...ids] = positionals;
        if (verb === "list") return await cmd.authKeysList({ json }, paths);
        if (verb === "create") {
          if (typeof values.label !== "string" || values.label === "")
            throw new UsageError("usage: cairn auth keys create --label <name> [--scopes a,b]");
          return await cmd.authKeysCreate(
            { json, label: values.label, scopes: cmd.parseScopes(values.scopes as string | undefined) },
            paths,
          );
        }
        if (verb === "revoke" && ids.length === 1) return await cmd.authKeysRevoke({ json, id: ids[0] }, paths);
        throw new UsageError("usage: cairn auth keys create|list|revoke <id>");
      }
      case "approvals": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help") return print(approvalsHelp);
        if (sub !== "list" && sub !== "approve" && sub !== "deny")
          throw new UsageError(`unknown subcommand 'approvals ${sub}'; try 'cairn approvals list', 'approve <id>' or 'deny <id>'`);
        const { values, positionals } = parse(args, {
          json: { type: "boolean" },
          all: { type: "boolean" },
          always: { type: "boolean" },
          reason: { type: "string" },
        });
        if (values.help) return print(approvalsHelp);
        const cmd = await import("./commands/approvals.ts");
        if (sub === "list") return await cmd.approvalsList({ json, all: Boolean(values.all) }, paths);
        if (positionals.length !== 1)
          throw new UsageError(`usage: cairn approvals ${sub} <id>${sub === "approve" ? " [--always]" : " [--reason <text>]"}`);
        if (sub === "approve" && values.reason !== undefined) throw new UsageError("--reason goes with deny");
        if (sub === "deny" && values.always) throw new UsageError("--always goes with approve");
        return await cmd.approvalsAnswer(
          { id: positionals[0], verb: sub, always: Boolean(values.always), reason: values.reason as string | undefined, json },
          paths,
        );
      }
      case "channels":
        return await channelsCommand(rest, paths, (j) => (json = j));
      case "cron": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(cronHelp);
        const subs = ["add", "edit", "list", "show", "runs", "enable", "disable", "run", "remove"] as const;
        const known = subs.find((x) => x === sub);
        if (!known) throw new UsageError(`unknown subcommand 'cron ${sub}'; try ${subs.map((x) => `'cairn cron ${x}'`).join(", ")}`);
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
        json = Boolean(values.json);
        const cmd = await import("./commands/cron.ts");
        const str = (k: string) => values[k] as string | undefined;
        if (known === "add") {
          if (positionals.length > 0) throw new UsageError(`unexpected '${positionals[0]}'; the prompt goes in --prompt "…"`);
          return await cmd.cronAdd(
            {
              name: str("name"),
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
              disabled: Boolean(values.disabled),
              json,
            },
            paths,
          );
        }
        if (known === "list") return await cmd.cronList({ json }, paths);
        const name = positionals[0] ?? str("name");
        if (!name || positionals.length > 1) throw new UsageError(`usage: cairn cron ${known} <name>`);
        if (known === "show") return await cmd.cronShow({ name, json }, paths);
        if (known === "edit")
          return await cmd.cronEdit(
            {
              name,
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
              json,
            },
            paths,
          );
        if (known === "runs") return await cmd.cronRuns({ name, json, limit: int(str("limit"), "--limit", 1) }, paths);
        return await cmd.cronVerb({ name, verb: known, json }, paths);
      }
      case "providers": {
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
          if (names.length === 0)
            throw new UsageError("usage: cairn providers set-key <provider> (the key is then read from stdin or a prompt)");
          json = flags.includes("--json");
          return await (await import("./commands/providers.ts")).providersSetKey({ provider: names[0], json }, paths, env);
        }
        if (sub !== "list")
          throw new UsageError(`unknown subcommand 'providers ${sub}'; try 'cairn providers' or 'cairn providers set-key <provider>'`);
        const { values, positionals } = parse(args, { json: { type: "boolean" }, refresh: { type: "boolean" } });
        if (values.help) return print(providersHelp);
        if (positionals.length > 0) throw new UsageError(`'cairn providers list' takes no arguments; got '${positionals.join(" ")}'`);
        return await (await import("./commands/providers.ts")).providersList({ json, refresh: Boolean(values.refresh) }, paths, env);
      }
      case "models": {
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
      case "node":
        return await nodeCommand(rest, paths, env, (j) => (json = j));
      case "search":
        return await searchCommand(rest, paths, (j) => (json = j));
      case "memory":
        return await memoryCommand(rest, paths, (j) => (json = j));
      case "attachments":
        return await attachmentsCommand(rest, paths, (j) => (json = j));
      case "doctor": {
        const { values, positionals } = parse(rest, { json: { type: "boolean" } });
        if (values.help) return print(doctorHelp);
        if (positionals.length > 0) throw new UsageError(`'cairn doctor' takes no arguments; got '${positionals.join(" ")}'`);
        return await (await import("./commands/doctor.ts")).doctor({ json }, paths);
      }
      case "status": {
        const { values, positionals } = parse(rest, { json: { type: "boolean" } });
        if (values.help) return print(statusHelp);
        if (positionals.length > 0) throw new UsageError(`'cairn status' takes no arguments; got '${positionals.join(" ")}'`);
        return await (await import("./commands/status.ts")).status({ json }, paths);
      }
      case "metrics": {
        const { values, positionals } = parse(rest, { json: { type: "boolean" } });
        if (values.help) return print(metricsHelp);
        if (positionals.length > 0) throw new UsageError(`'cairn metrics' takes no arguments; got '${positionals.join(" ")}'`);
        return await (await import("./commands/metrics.ts")).metrics({ json }, paths);
      }
      case "logs": {
        const { values, positionals } = parse(rest, {
          follow: { type: "boolean", short: "f" },
          json: { type: "boolean" },
          level: { type: "string", short: "l" },
          lines: { type: "string", short: "n" },
        });
        if (values.help) return print(logsHelp);
        if (positionals.length > 0) throw new UsageError(`'cairn logs' takes no arguments; got '${positionals.join(" ")}'`);
        const level = (values.level as string | undefined)?.toLowerCase() ?? "info";
        if (!["debug", "info", "warn", "error"].includes(level))
          throw new UsageError(`--level must be one of debug, info, warn, error; got '${values.level}'`);
        return await (await import("./commands/logs.ts")).logs(
          {
            follow: Boolean(values.follow),
            json,
            level: level as "debug" | "info" | "warn" | "error",
            lines: int(values.lines as string | undefined, "--lines", 0) ?? 50,
          },
          paths,
        );
      }
      case "hooks":
        return await hooksCommand(rest, paths, (j) => (json = j), env);
      case "mcp":
        return await mcpCommand(rest, paths, (j) => (json = j));
      case "settings":
        return await settingsCommand(rest, paths, (j) => (json = j));
      case "cluster": {
        const [sub, ...args] = rest;
        if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(clusterHelp);
        if (sub !== "init" && sub !== "status")
          throw new UsageError(`unknown subcommand 'cluster ${sub}'; try 'cairn cluster init <dir>' or 'cairn cluster status <dir>'`);
        const { values, positionals } = parse(args, {
          json: { type: "boolean" },
          servers: { type: "string" },
          host: { type: "string" },
          "client-port": { type: "string" },
          "cluster-port": { type: "string" },
        });
        if (values.help) return print(clusterHelp);
        json = Boolean(values.json);
        if (positionals.length !== 1) throw new UsageError(`usage: cairn cluster ${sub} <dir> (run 'cairn cluster --help')`);
        const cmd = await import("./commands/cluster.ts");
        if (sub === "status") {
          const extra = Object.keys(values).filter((k) => k !== "json");
          if (extra.length > 0) throw new UsageError(`'cairn cluster status' does not take --${extra[0]}`);
          return await cmd.clusterStatus({ dir: positionals[0], json });
        }
        const servers = int(values.servers as string | undefined, "--servers", 2);
        if (servers !== undefined && servers > 9) throw new UsageError(`--servers must be at most 9, got ${servers}`);
        return await cmd.clusterInit({
          dir: positionals[0],
          servers,
          host: values.host as string | undefined,
          clientPort: int(values["client-port"] as string | undefined, "--client-port", 1),
          clusterPort: int(values["cluster-port"] as string | undefined, "--cluster-port", 1),
          json,
        });
      }
      case "service":
        return await serviceCommand(rest, paths);
      default: {
        const hint = nearest(command, COMMANDS);
        throw new UsageError(`unknown command '${command}'${hint ? ` (did you mean '${hint}'?)` : ""}; run 'cairn --help'`);
      }
    }
  } catch (e) {
    // node:util parseArgs throws plain TypeErrors for unknown flags: those are usage errors too.
    // (Other errors carry codes of other types: a JetStream refusal's is a number.)
    const code = (e as { code?: unknown }).code;
    const err = typeof code === "string" && code.startsWith("ERR_PARSE_ARGS") ? new UsageError((e as Error).message) : e;
    return (await import("./output.ts")).fail(err, json);
  }
}
