/**
 * `cairn service install [--user] [--print] | status [--user] | uninstall [--user] | nats-init <dir>`:
 * the gateway as a systemd unit (Linux) or a launchd agent/daemon (macOS), and the NATS config of
 * the compose deployment. systemctl/launchctl do the work; their own output is shown as it is.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  LAUNCHD_LABEL,
  SYSTEMD_UNIT,
  buildServiceSpec,
  managerFor,
  natsInit,
  renderLaunchdPlist,
  renderSystemdUnit,
  unitPath,
  type ServiceManager,
} from "../service/index.ts";
import { CairnError } from "../../schemas/index.ts";
import type { Paths } from "../paths.ts";
import { ROOT } from "../root.ts";

export interface ServiceOptions {
  readonly user: boolean;
  readonly print?: boolean;
}

const manager = (): ServiceManager => {
  const m = managerFor(process.platform);
  if (!m) throw new CairnError("unavailable", `cairn service supports systemd (Linux) and launchd (macOS), not ${process.platform}`);
  return m;
};

/** systemd is running as the init system (sd_booted(3)): otherwise systemctl can enable nothing. */
const systemdBooted = (): boolean => existsSync("/run/systemd/system");

const run = (cmd: string, args: readonly string[], okCodes: readonly number[] = [0]): number => {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.error) throw new CairnError("unavailable", `could not run ${cmd}: ${r.error.message}`);
  const code = r.status ?? 1;
  if (!okCodes.includes(code)) throw new CairnError("unavailable", `'${cmd} ${args.join(" ")}' failed (exit ${code})`);
  return code;
};

const systemctl = (user: boolean, ...args: string[]) => ["systemctl", user ? ["--user", ...args] : args] as const;
const launchDomain = (user: boolean) => (user ? `gui/${process.getuid?.() ?? 0}` : "system");

const specFor = (o: ServiceOptions, paths: Paths, m: ServiceManager) =>
  buildServiceSpec({
    manager: m,
    user: o.user,
    nodePath: process.execPath,
    root: ROOT,
    dataDir: paths.dataDir,
    configDir: paths.configDir,
    path: process.env.PATH,
  });

export async function serviceInstall(o: ServiceOptions, paths: Paths): Promise<number> {
  const m = manager();
  const spec = specFor(o, paths, m);
  const text = m === "systemd" ? renderSystemdUnit(spec) : renderLaunchdPlist(spec);
  if (o.print) {
    process.stdout.write(text);
    return 0;
  }
  if (m === "systemd" && !systemdBooted()) {
    throw new CairnError(
      "unavailable",
      "systemd is not running on this machine (no /run/systemd/system), so no unit can be enabled; 'cairn service install --print' shows the unit",
    );
  }
  const file = unitPath(m, o.user);
  mkdirSync(dirname(file), { recursive: true });
  if (m === "launchd") mkdirSync(dirname(spec.logFile), { recursive: true });
  writeFileSync(file, text, { mode: 0o644 });
  process.stdout.write(`wrote ${file}\n`);
  if (m === "systemd") {
    run(...systemctl(o.user, "daemon-reload"));
    run(...systemctl(o.user, "enable", "--now", SYSTEMD_UNIT));
    const logs = o.user ? "journalctl --user-unit cairn -f" : "journalctl -u cairn -f";
    process.stdout.write(`cairn runs as ${o.user ? "a user" : "a system"} service: logs with '${logs}'\n`);
    // A user manager stops at logout unless lingering is on; saying so beats a gateway that vanishes.
    if (o.user) process.stdout.write(`to keep it running when you are logged out: loginctl enable-linger ${process.env.USER ?? "$USER"}\n`);
  } else {
    // Replacing a loaded job: bootout first (fails harmlessly when it was not loaded).
    spawnSync("launchctl", ["bootout", `${launchDomain(o.user)}/${LAUNCHD_LABEL}`], { stdio: "ignore" });
    run("launchctl", ["bootstrap", launchDomain(o.user), file]);
    process.stdout.write(`cairn runs as a launchd ${o.user ? "agent" : "daemon"}: logs in ${spec.logFile}\n`);
  }
  return 0;
}

export async function serviceStatus(o: ServiceOptions): Promise<number> {
  const m = manager();
  const file = unitPath(m, o.user);
  process.stdout.write(`${existsSync(file) ? "installed" : "not installed"}: ${file}\n`);
  if (!existsSync(file)) return 1;
  // systemctl status exits 3 for a unit that is installed but not running: that is an answer, not a failure.
  if (m === "systemd") return run(...systemctl(o.user, "status", "--no-pager", SYSTEMD_UNIT), [0, 3, 4]);
  return run("launchctl", ["print", `${launchDomain(o.user)}/${LAUNCHD_LABEL}`], [0, 113]);
}

export async function serviceUninstall(o: ServiceOptions): Promise<number> {
  const m = manager();
  const file = unitPath(m, o.user);
  if (!existsSync(file)) {
    process.stdout.write(`not installed (no ${file})\n`);
    return 0;
  }
  if (m === "systemd") {
    if (systemdBooted()) run(...systemctl(o.user, "disable", "--now", SYSTEMD_UNIT));
    rmSync(file);
    if (systemdBooted()) run(...systemctl(o.user, "daemon-reload"));
  } else {
    spawnSync("launchctl", ["bootout", `${launchDomain(o.user)}/${LAUNCHD_LABEL}`], { stdio: "ignore" });
    rmSync(file);
  }
  process.stdout.write(`removed ${file}; the data dir is kept\n`);
  return 0;
}

export async function serviceNatsInit(o: { dir: string; host: string; port: number; json: boolean }): Promise<number> {
  const r = await natsInit(o);
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
  else process.stdout.write(`nats-server config: ${r.configFile}\ngateway creds: ${r.creds.gateway}\nJetStream store: ${r.storeDir}\n`);
  return 0;
}
