/**
 * The OS service that keeps a node running: a systemd user unit on Linux, a launchd agent on
 * macOS. Pure renderers; `service.install.ts` writes and enables them.
 */
import { join } from "node:path";

export const SYSTEMD_UNIT_NAME = "cairn-node.service";
export const LAUNCHD_LABEL = "org.cairn.node";

export interface ServiceSpec {
  /** The Node binary (process.execPath) and cairn's `cli/bin.mjs`. */
  readonly nodeBinary: string;
  readonly cliEntry: string;
  readonly dataDir: string;
  readonly workingDir: string;
  /** PATH for the service: a user service otherwise starts with a minimal one and misses runtimes. */
  readonly path: string;
  readonly logFile: string;
}

export const servicePath = (platform: NodeJS.Platform, home: string): string | undefined =>
  platform === "linux"
    ? join(home, ".config", "systemd", "user", SYSTEMD_UNIT_NAME)
    : platform === "darwin"
      ? join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`)
      : undefined;

/** systemd quoting: each argument double-quoted, `"`, `\`, `%` and `$` escaped. */
const sdQuote = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;

export function renderSystemdUnit(spec: ServiceSpec): string {
  return [
    "[Unit]",
    "Description=cairn node agent (runs the gateway's commands on this machine)",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[spec.nodeBinary, spec.cliEntry, "node", "run"].map(sdQuote).join(" ")}`,
    `WorkingDirectory=${sdQuote(spec.workingDir)}`,
    `Environment=${sdQuote(`CAIRN_DATA_DIR=${spec.dataDir}`)}`,
    `Environment=${sdQuote(`PATH=${spec.path}`)}`,
    "Restart=on-failure",
    // The agent reconnects by itself; a restart is for a crash, and must not spin.
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function renderLaunchdPlist(spec: ServiceSpec): string {
  const args = [spec.nodeBinary, spec.cliEntry, "node", "run"].map((a) => `    <string>${xml(a)}</string>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>CAIRN_DATA_DIR</key>
    <string>${xml(spec.dataDir)}</string>
    <key>PATH</key>
    <string>${xml(spec.path)}</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workingDir)}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>StandardOutPath</key>
  <string>${xml(spec.logFile)}.stdout</string>
  <key>StandardErrorPath</key>
  <string>${xml(spec.logFile)}.stderr</string>
</dict>
</plist>
`;
}
