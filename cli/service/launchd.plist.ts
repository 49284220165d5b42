import { LAUNCHD_LABEL, type ServiceSpec } from "./service.spec.ts";

const xml = (s: string): string => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
const str = (s: string, indent: string): string => `${indent}<string>${xml(s)}</string>`;

/**
 * The launchd property list of the gateway (pure): started at load and kept alive after a crash
 * (not after a clean exit), stdout/stderr to a log file since launchd has no journal.
 */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  const env = Object.entries(spec.environment).flatMap(([k, v]) => [`    <key>${xml(k)}</key>`, str(v, "    ")]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    "<!-- Written by `cairn service install`; `cairn service uninstall` removes it. -->",
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    str(LAUNCHD_LABEL, "  "),
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...spec.command.map((a) => str(a, "    ")),
    "  </array>",
    "  <key>WorkingDirectory</key>",
    str(spec.workingDirectory, "  "),
    "  <key>EnvironmentVariables</key>",
    "  <dict>",
    ...env,
    "  </dict>",
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    // The gateway stops itself within 15 s of SIGTERM; launchd's default is 20 s before SIGKILL.
    "  <key>ExitTimeOut</key>",
    "  <integer>20</integer>",
    "  <key>StandardOutPath</key>",
    str(spec.logFile, "  "),
    "  <key>StandardErrorPath</key>",
    str(spec.logFile, "  "),
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}
