import { parse, print } from "./args.ts";
import { channelsHelp, hooksHelp, mcpHelp, settingsHelp } from "./help.agent.ts";
import { UsageError } from "./usage.ts";
import type { Paths } from "./paths.ts";

/** The agent-facing commands (channels, hooks, MCP, settings), parsed here to keep main.ts short. */

/** `cairn channels …`: the Telegram channel, its senders and their levels. */
export async function channelsCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [first, ...args] = rest;
  const sub = first === undefined || first.startsWith("-") ? "status" : first;
  const { values, positionals } = parse(sub === first ? args : rest, {
    json: { type: "boolean" },
    all: { type: "boolean" },
    channel: { type: "string" },
    access: { type: "string" },
  });
  if (values.help || sub === "help") return print(channelsHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/channels.ts");
  if (sub === "status" && positionals.length === 0) return await cmd.channelsStatus({ json }, paths);
  if (sub === "pending" && positionals.length === 0) return await cmd.channelsSenders({ json, all: Boolean(values.all) }, paths);
  if ((sub === "approve" || sub === "deny") && positionals.length === 1)
    return await cmd.channelsDecide(
      {
        verb: sub,
        userId: positionals[0],
        channel: (values.channel as string) ?? "telegram",
        json,
        ...(values.access !== undefined ? { access: values.access as string } : {}),
      },
      paths,
    );
  if (sub === "access" && positionals.length === 2)
    return await cmd.channelsAccess(
      { userId: positionals[0], access: positionals[1], channel: (values.channel as string) ?? "telegram", json },
      paths,
    );
  if (sub === "set-token" && positionals.length === 1) return await cmd.channelsSetToken({ channel: positionals[0], json }, paths);
  throw new UsageError(
    `usage: cairn channels status | pending | approve <user> | deny <user> | access <user> <level> | set-token telegram (see 'cairn channels --help')`,
  );
}

/** `cairn hooks …`: the discovered hooks, one hook's details, a dry run on a sample payload. */
export async function hooksCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void, env: NodeJS.ProcessEnv): Promise<number> {
  const [first, ...more] = rest;
  const sub = first === undefined || first.startsWith("-") ? "list" : first;
  const args = sub === first ? more : rest;
  if (sub === "help") return print(hooksHelp);
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    eligible: { type: "boolean" },
    event: { type: "string" },
  });
  if (values.help) return print(hooksHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/hooks.ts");
  if (sub === "list") {
    if (positionals.length > 0) throw new UsageError(`'cairn hooks list' takes no arguments; got '${positionals.join(" ")}'`);
    return cmd.hooksList({ eligible: Boolean(values.eligible), json }, paths, env);
  }
  if (sub !== "info" && sub !== "test") throw new UsageError(`unknown subcommand 'hooks ${sub}'; try 'cairn hooks --help'`);
  if (positionals.length !== 1) throw new UsageError(`usage: cairn hooks ${sub} NAME (run 'cairn hooks --help')`);
  if (sub === "info") return cmd.hooksInfo({ name: positionals[0], json }, paths, env);
  return await cmd.hooksTest({ name: positionals[0], event: values.event as string | undefined, json }, paths, env);
}

/** `cairn mcp …`: MCP servers (everything after `--` is the server's command line). */
export async function mcpCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  // Everything after `--` is the server's command line, never cairn's options.
  const dash = rest.indexOf("--");
  const own = dash >= 0 ? rest.slice(0, dash) : rest;
  const command = dash >= 0 ? rest.slice(dash + 1) : undefined;
  const [first, ...more] = own;
  const sub = first === undefined || first.startsWith("-") ? "list" : first;
  const args = sub === first ? more : own;
  if (sub === "help") return print(mcpHelp);
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    url: { type: "string" },
    sse: { type: "boolean" },
    env: { type: "string", multiple: true },
    header: { type: "string", multiple: true },
    cwd: { type: "string" },
    approval: { type: "string" },
    trusted: { type: "boolean" },
  });
  if (values.help) return print(mcpHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/mcp.ts");
  if (sub === "list") {
    if (positionals.length > 0) throw new UsageError(`'cairn mcp list' takes no arguments; got '${positionals.join(" ")}'`);
    return await cmd.mcpList({ json }, paths);
  }
  if (!["tools", "resources", "add", "remove", "restart"].includes(sub)) {
    throw new UsageError(`unknown subcommand 'mcp ${sub}'; try 'cairn mcp --help'`);
  }
  if (positionals.length !== 1) throw new UsageError(`usage: cairn mcp ${sub} NAME (run 'cairn mcp --help')`);
  const name = positionals[0];
  if (sub === "tools") return await cmd.mcpTools({ name, json }, paths);
  if (sub === "resources") return await cmd.mcpResources({ name, json }, paths);
  if (sub === "remove") return await cmd.mcpRemove({ name, json }, paths);
  if (sub === "restart") return await cmd.mcpRestart({ name, json }, paths);
  const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
  return await cmd.mcpAdd(
    {
      name,
      ...(command ? { command } : {}),
      ...(values.url ? { url: values.url as string } : {}),
      sse: Boolean(values.sse),
      env: list(values.env),
      headers: list(values.header),
      ...(values.cwd ? { cwd: values.cwd as string } : {}),
      ...(values.approval ? { approval: values.approval as string } : {}),
      trusted: Boolean(values.trusted),
      json,
    },
    paths,
  );
}

/** `cairn settings …`: the settings the UI changes (events; no restart). */
export async function settingsCommand(rest: string[], paths: Paths, setJson: (j: boolean) => void): Promise<number> {
  const [first, ...more] = rest;
  const sub = first === undefined || first.startsWith("-") ? "list" : first;
  if (sub === "help") return print(settingsHelp);
  const { values, positionals } = parse(sub === first ? more : rest, { json: { type: "boolean" } });
  if (values.help) return print(settingsHelp);
  const json = Boolean(values.json);
  setJson(json);
  const cmd = await import("./commands/settings.ts");
  if (sub === "list" && positionals.length === 0) return await cmd.settingsList({ json }, paths);
  if (sub === "get" && positionals.length === 1) return await cmd.settingsGet({ key: positionals[0], json }, paths);
  if (sub === "set" && positionals.length === 2) return await cmd.settingsSet({ key: positionals[0], value: positionals[1], json }, paths);
  if (sub === "unset" && positionals.length === 1) return await cmd.settingsSet({ key: positionals[0], value: null, json }, paths);
  if (sub === "revoke" && positionals.length === 1) return await cmd.settingsRevoke({ command: positionals[0], json }, paths);
  throw new UsageError("usage: cairn settings list | get KEY | set KEY VALUE | unset KEY | revoke COMMAND (see 'cairn settings --help')");
}
