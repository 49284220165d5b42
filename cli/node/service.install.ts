/**
 * Installing, querying and removing the node's OS service. Files are always written; enabling is
 * attempted where the init system answers (a container or a root shell without a user bus has a
 * `systemctl` that cannot manage user units), and otherwise the exact commands are returned for the
 * user to run. `CAIRN_NODE_SERVICE=none` skips enabling (containers, tests).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LAUNCHD_LABEL, renderLaunchdPlist, renderSystemdUnit, servicePath, SYSTEMD_UNIT_NAME, type ServiceSpec } from "./service.files.ts";

export interface ServiceEnv {
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface ServiceOutcome {
  /** The service file, when this platform has one. */
  readonly file: string | undefined;
  /** Enabled and started (or stopped and disabled) by us. */
  readonly managed: boolean;
  /** What the user should run when we could not. */
  readonly manualCommands: readonly string[];
  readonly detail: string;
}

const run = (cmd: string, args: string[]): { ok: boolean; out: string } => {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 15_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || (r.error?.message ?? "") };
};

const disabledByEnv = (s: ServiceEnv): boolean => s.env.CAIRN_NODE_SERVICE === "none";

/** Can this shell manage systemd user units? */
const systemdUsable = (): boolean => run("systemctl", ["--user", "show-environment"]).ok;

export function installService(spec: ServiceSpec, s: ServiceEnv): ServiceOutcome {
  const file = servicePath(s.platform, s.home);
  if (!file)
    return { file, managed: false, manualCommands: [], detail: `no service support on ${s.platform}: run 'cairn node run' yourself` };
  mkdirSync(dirname(file), { recursive: true });
  if (s.platform === "linux") {
    writeFileSync(file, renderSystemdUnit(spec), { mode: 0o644 });
    const manual = [
      "systemctl --user daemon-reload",
      `systemctl --user enable --now ${SYSTEMD_UNIT_NAME}`,
      `systemctl --user restart ${SYSTEMD_UNIT_NAME}`,
    ];
    if (disabledByEnv(s) || !systemdUsable())
      return { file, managed: false, manualCommands: manual, detail: "systemd user instance not reachable from this shell" };
    const steps = [
      run("systemctl", ["--user", "daemon-reload"]),
      run("systemctl", ["--user", "enable", SYSTEMD_UNIT_NAME]),
      run("systemctl", ["--user", "restart", SYSTEMD_UNIT_NAME]),
    ];
    const failed = steps.find((r) => !r.ok);
    return failed
      ? { file, managed: false, manualCommands: manual, detail: failed.out }
      : { file, managed: true, manualCommands: [], detail: "enabled and started" };
  }
  writeFileSync(file, renderLaunchdPlist(spec), { mode: 0o644 });
  const manual = [`launchctl unload ${file}`, `launchctl load -w ${file}`];
  if (disabledByEnv(s)) return { file, managed: false, manualCommands: manual, detail: "CAIRN_NODE_SERVICE=none" };
  run("launchctl", ["unload", file]); // a previous version may be loaded; not loaded is fine
  const r = run("launchctl", ["load", "-w", file]);
  return r.ok
    ? { file, managed: true, manualCommands: [], detail: "loaded" }
    : { file, managed: false, manualCommands: manual, detail: r.out };
}

export interface ServiceState {
  readonly file: string | undefined;
  readonly installed: boolean;
  /** null when the init system cannot be asked. */
  readonly running: boolean | null;
}

export function serviceState(s: ServiceEnv): ServiceState {
  const file = servicePath(s.platform, s.home);
  const installed = file !== undefined && existsSync(file);
  if (!installed || disabledByEnv(s)) return { file, installed, running: installed ? null : false };
  if (s.platform === "linux") {
    if (!systemdUsable()) return { file, installed, running: null };
    return { file, installed, running: run("systemctl", ["--user", "is-active", SYSTEMD_UNIT_NAME]).out === "active" };
  }
  const r = run("launchctl", ["list", LAUNCHD_LABEL]);
  return { file, installed, running: r.ok ? /"PID"\s*=\s*\d+/.test(r.out) : false };
}

export function removeService(s: ServiceEnv): ServiceOutcome {
  const file = servicePath(s.platform, s.home);
  if (!file || !existsSync(file)) return { file, managed: false, manualCommands: [], detail: "no service installed" };
  let managed = false;
  let manual: string[] = [];
  if (s.platform === "linux") {
    if (!disabledByEnv(s) && systemdUsable()) {
      managed = run("systemctl", ["--user", "disable", "--now", SYSTEMD_UNIT_NAME]).ok;
      rmSync(file, { force: true });
      run("systemctl", ["--user", "daemon-reload"]);
    } else {
      rmSync(file, { force: true });
      manual = [`systemctl --user disable --now ${SYSTEMD_UNIT_NAME}`, "systemctl --user daemon-reload"];
    }
  } else {
    if (!disabledByEnv(s)) managed = run("launchctl", ["unload", "-w", file]).ok;
    else manual = [`launchctl unload -w ${file}`];
    rmSync(file, { force: true });
  }
  return { file, managed, manualCommands: manual, detail: managed ? "stopped and removed" : "service file removed" };
}
