import {
  approvalsHelp,
  authHelp,
  chatHelp,
  doctorHelp,
  eventsHelp,
  gatewayHelp,
  projectionsHelp,
  sandboxHelp,
  statusHelp,
  metricsHelp,
  logsHelp,
} from "./help.ts";
import { channelsCommand, hooksCommand, mcpCommand, settingsCommand } from "./main.agent.ts";
import { nearest } from "./config/suggest.ts";
// Commands are imported when run: `cairn <command> --help` must not load NATS, SQLite, the SDKs
// or the schemas (output.ts, for the error message, too).
import { int, parse, print } from "./args.ts";
import { nodeCommand } from "./main.node.ts";
import { cronCommand } from "./main.cron.ts";
import { clusterCommand } from "./main.cluster.ts";
import { modelsCommand, providersCommand } from "./main.providers.ts";
import { sessionsCommand } from "./main.sessions.ts";
import { memoryCommand, searchCommand } from "./main.memory.ts";
import { attachmentsCommand } from "./main.attachments.ts";
import { auditCommand, eventsReplayCommand, logCommand } from "./main.audit.ts";
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
      case "sessions":
        return await sessionsCommand(rest, paths, json, (j) => (json = j));
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
      case "cron":
        return await cronCommand(rest, paths, (j) => (json = j));
      case "providers":
        return await providersCommand(rest, paths, env, json, (j) => (json = j));
      case "models":
        return await modelsCommand(rest, paths, env, json);
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
      case "cluster":
        return await clusterCommand(rest, (j) => (json = j));
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
