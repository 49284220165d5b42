import type { ServiceSpec } from "./service.spec.ts";

/**
 * One word of a unit file's command line or Environment= value, quoted for systemd: `%` starts a
 * specifier and `$` a variable in ExecStart, so both are doubled; spaces, quotes and backslashes
 * need the C-style double quotes systemd unquotes.
 */
export function systemdWord(s: string): string {
  const escaped = s.replaceAll("%", "%%").replaceAll("$", () => "$$");
  if (!/[\s"'\\;]/.test(escaped) && escaped !== "") return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The systemd unit of the gateway (pure). */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const env = Object.entries(spec.environment).map(([k, v]) => `Environment=${systemdWord(`${k}=${v}`)}`);
  return [
    "# Written by `cairn service install`; `cairn service uninstall` removes it.",
    "[Unit]",
    "Description=cairn personal AI gateway",
    `Documentation=${encodeURI(`file://${spec.workingDirectory}/README.md`)}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${spec.command.map(systemdWord).join(" ")}`,
    `WorkingDirectory=${systemdWord(spec.workingDirectory)}`,
    ...env,
    // Provider keys (OPENAI_API_KEY=…) without putting them in a world-readable unit; `-`: optional.
    `EnvironmentFile=-${systemdWord(spec.environmentFile)}`,
    // SIGTERM to the gateway only: it stops its own nats-server after draining. systemd's default
    // (every process of the group at once) would stop the bus under a gateway still writing to it.
    "KillMode=mixed",
    // The gateway gives up on a slow shutdown after 15 s by itself; systemd waits a little longer.
    "TimeoutStopSec=20",
    "Restart=on-failure",
    "RestartSec=2",
    // stdout and stderr are the journal: `journalctl -u cairn` (`--user-unit cairn` for --user).
    "StandardOutput=journal",
    "StandardError=journal",
    "SyslogIdentifier=cairn",
    "",
    "[Install]",
    `WantedBy=${spec.user ? "default.target" : "multi-user.target"}`,
    "",
  ].join("\n");
}
