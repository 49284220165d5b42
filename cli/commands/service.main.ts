import { int, parse, print } from "../args.ts";
import type { Paths } from "../paths.ts";
import { UsageError } from "../usage.ts";

export const serviceHelp = `Usage: cairn service install [--user] [--print]
       cairn service status [--user]
       cairn service uninstall [--user]
       cairn service nats-init <dir> [--host <ip>] [--port <n>] [--json]

Runs the gateway as a service without containers: a systemd unit on Linux
(/etc/systemd/system/cairn.service, or ~/.config/systemd/user/cairn.service
with --user), a launchd daemon or agent on macOS (dev.cairn.gateway). The
unit runs this Node and this checkout with the data and config dirs this
shell uses (CAIRN_DATA_DIR, CAIRN_CONFIG_DIR). Logs go to the journal:
journalctl -u cairn (--user-unit cairn); on macOS to <data dir>/logs/service.log.
Provider keys: 'cairn providers set-key', or KEY=value lines in
<config dir>/cairn.env (read by the systemd unit).

  install     write the unit, enable it and start it now
  status      whether it is installed, then systemctl/launchctl's own status
  uninstall   stop, disable and remove the unit (the data dir is kept)
  nats-init   write the NATS operator/JWT identity, creds and a nats-server
              config under <dir> (what docker-compose.yml's init service runs)

Options:
      --user        a per-user service instead of a system-wide one
      --print       print the unit (or plist) and change nothing
      --host <ip>   nats-init: address nats-server listens on (default 0.0.0.0)
      --port <n>    nats-init: its client port (default 4222)`;

const SUBS = ["install", "status", "uninstall", "nats-init"];

/** `cairn service …` (the command table's entry, kept apart from main.ts like the node group). */
export async function serviceCommand(rest: string[], paths: Paths): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(serviceHelp);
  if (!SUBS.includes(sub))
    throw new UsageError(`unknown subcommand 'service ${sub}'; try ${SUBS.map((s) => `'cairn service ${s}'`).join(", ")}`);
  const cmd = await import("./service.ts");
  if (sub === "nats-init") {
    const { values, positionals } = parse(args, { host: { type: "string" }, port: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return print(serviceHelp);
    if (positionals.length !== 1) throw new UsageError("usage: cairn service nats-init <dir> [--host <ip>] [--port <n>]");
    return await cmd.serviceNatsInit({
      dir: positionals[0],
      host: (values.host as string | undefined) ?? "0.0.0.0",
      port: int(values.port as string | undefined, "--port", 1) ?? 4222,
      json: Boolean(values.json),
    });
  }
  const { values, positionals } = parse(args, { user: { type: "boolean" }, ...(sub === "install" ? { print: { type: "boolean" } } : {}) });
  if (values.help) return print(serviceHelp);
  if (positionals.length > 0) throw new UsageError(`'cairn service ${sub}' takes no arguments, got '${positionals[0]}'`);
  const o = { user: Boolean(values.user), print: Boolean(values.print) };
  if (sub === "install") return await cmd.serviceInstall(o, paths);
  if (sub === "status") return await cmd.serviceStatus(o);
  return await cmd.serviceUninstall(o);
}
