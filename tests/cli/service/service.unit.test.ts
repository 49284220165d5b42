/**
 * `cairn service`: the systemd unit checked by systemd itself (`systemd-analyze verify`), the
 * launchd plist's content (no macOS here: parsed as XML with the plist's structure checked), and
 * the command line (`--print` changes nothing; install refuses where systemd is not running).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildServiceSpec,
  managerFor,
  renderLaunchdPlist,
  renderSystemdUnit,
  systemdWord,
  unitPath,
  type ServiceSpec,
} from "../../../cli/service/index.ts";
import { BIN, runCli } from "../../fixtures/gateway.ts";

const dir = mkdtempSync(join(tmpdir(), "cairn-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<Parameters<typeof buildServiceSpec>[0]> = {}): ServiceSpec =>
  buildServiceSpec({
    manager: "systemd",
    user: false,
    nodePath: process.execPath,
    root: join(BIN, "..", ".."),
    dataDir: join(dir, "data dir"), // a space: quoting must hold
    configDir: join(dir, "config%1"), // a '%': systemd's specifier character
    path: "/usr/local/bin:/usr/bin:/bin",
    ...over,
  });

const runtimeDir = mkdtempSync(join(dir, "xdg-"));
const SYSTEMD_ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find(existsSync);

/** `systemd-analyze verify` on a unit written as cairn.service in its own dir; returns its complaints. */
const verify = (text: string, user: boolean): { code: number | null; out: string } => {
  const d = mkdtempSync(join(dir, "unit-"));
  const file = join(d, "cairn.service");
  writeFileSync(file, text);
  const r = spawnSync(SYSTEMD_ANALYZE!, [...(user ? ["--user"] : []), "verify", file], {
    encoding: "utf8",
    // --user needs a runtime dir to set up its manager (a login session has one).
    env: { ...process.env, SYSTEMD_LOG_LEVEL: "warning", XDG_RUNTIME_DIR: runtimeDir },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe("the systemd unit", () => {
  it.skipIf(!SYSTEMD_ANALYZE)("passes systemd-analyze verify, system and --user, with no warning", () => {
    for (const user of [false, true]) {
      const r = verify(renderSystemdUnit(spec({ user })), user);
      expect(r.out.trim()).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it.skipIf(!SYSTEMD_ANALYZE)("is refused by systemd-analyze when broken (the check can fail)", () => {
    const broken = renderSystemdUnit(spec()).replace(/^ExecStart=.*$/m, "ExecStart=relative/node gateway");
    const r = verify(broken, false);
    expect(r.out).toMatch(/ExecStart|absolute|Executable path/i);
  });

  it("runs this Node and cli/bin.mjs gateway, logs to the journal, and reads keys from an optional env file", () => {
    const unit = renderSystemdUnit(spec());
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=2 ${join(BIN)} gateway`);
    expect(unit).toMatch(/^StandardOutput=journal$/m);
    expect(unit).toMatch(/^StandardError=journal$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(renderSystemdUnit(spec({ user: true }))).toMatch(/^WantedBy=default\.target$/m);
    // Quoted for systemd: the space stays inside one assignment, the % is doubled.
    expect(unit).toContain(`Environment="CAIRN_DATA_DIR=${join(dir, "data dir")}"`);
    expect(unit).toContain(`Environment=CAIRN_CONFIG_DIR=${join(dir, "config%%1")}`);
    expect(unit).toContain(`EnvironmentFile=-${join(dir, "config%%1", "cairn.env")}`);
    // No key in the unit (it is world-readable).
    expect(unit).not.toMatch(/API_KEY/);
  });

  it("quotes words the way systemd unquotes them", () => {
    expect(systemdWord("/usr/bin/node")).toBe("/usr/bin/node");
    expect(systemdWord("a b")).toBe('"a b"');
    expect(systemdWord('say "hi"')).toBe('"say \\"hi\\""');
    expect(systemdWord("100%")).toBe("100%%");
    expect(systemdWord("$HOME")).toBe("$$HOME");
    expect(systemdWord("")).toBe('""');
  });
});

describe("the launchd plist", () => {
  const plist = renderLaunchdPlist(spec({ manager: "launchd", user: true, dataDir: join(dir, "a&b <c>") }));

  it("is a well-formed plist naming the label, the program, its environment and the log file", () => {
    // plutil is macOS only; xmllint (libxml2) checks well-formedness where it is installed.
    const xmllint = ["/usr/bin/xmllint"].find(existsSync);
    if (xmllint) {
      const r = spawnSync(xmllint, ["--noout", "-"], { input: plist, encoding: "utf8" });
      expect(r.stderr).toBe("");
    }
    expect(plist).toContain("<key>Label</key>\n  <string>dev.cairn.gateway</string>");
    const args = [...plist.matchAll(/^ {4}<string>(.*)<\/string>$/gm)].map((m) => m[1]);
    expect(args.slice(0, 4)).toEqual([process.execPath, "--max-semi-space-size=2", join(BIN), "gateway"]);
    expect(plist).toContain("<key>CAIRN_DATA_DIR</key>");
    expect(plist).toContain(`<string>${join(dir, "a&amp;b &lt;c&gt;")}</string>`);
    expect(plist).not.toContain("a&b");
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    expect(plist).toMatch(/<key>StandardErrorPath<\/key>\s*<string>[^<]*service\.log<\/string>/);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
  });

  it("goes to LaunchAgents for --user and LaunchDaemons otherwise", () => {
    expect(unitPath("launchd", true, { HOME: "/Users/ann" })).toBe("/Users/ann/Library/LaunchAgents/dev.cairn.gateway.plist");
    expect(unitPath("launchd", false, { HOME: "/Users/ann" })).toBe("/Library/LaunchDaemons/dev.cairn.gateway.plist");
    expect(unitPath("systemd", true, { HOME: "/home/ann" })).toBe("/home/ann/.config/systemd/user/cairn.service");
    expect(unitPath("systemd", true, { HOME: "/home/ann", XDG_CONFIG_HOME: "/cfg" })).toBe("/cfg/systemd/user/cairn.service");
    expect(unitPath("systemd", false, {})).toBe("/etc/systemd/system/cairn.service");
    expect(managerFor("darwin")).toBe("launchd");
    expect(managerFor("win32")).toBeUndefined();
  });
});

describe("cairn service (the command)", () => {
  const env = { ...process.env, CAIRN_DATA_DIR: join(dir, "cli-data"), CAIRN_CONFIG_DIR: join(dir, "cli-config"), HOME: join(dir, "home") };

  it("install --print prints the unit of this shell's dirs and writes nothing", async () => {
    const r = await runCli(["service", "install", "--user", "--print"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Environment=CAIRN_DATA_DIR=${join(dir, "cli-data")}`);
    expect(r.stdout).toMatch(/^WantedBy=default\.target$/m);
    expect(existsSync(join(dir, "home", ".config", "systemd"))).toBe(false);
  });

  it.skipIf(existsSync("/run/systemd/system"))("install refuses where systemd is not running, and writes nothing", async () => {
    const r = await runCli(["service", "install", "--user"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/systemd is not running/);
    expect(existsSync(join(dir, "home", ".config", "systemd"))).toBe(false);
    const s = await runCli(["service", "status", "--user"], env);
    expect(s.stdout).toContain("not installed");
    expect(s.code).toBe(1);
  });

  it("rejects unknown subcommands and arguments as usage errors", async () => {
    expect((await runCli(["service", "start"], env)).code).toBe(2);
    expect((await runCli(["service", "install", "extra"], env)).code).toBe(2);
  });

  it("nats-init writes a config nats-server accepts, and keeps the identity on a second run", async () => {
    const nats = join(dir, "nats");
    const first = await runCli(["service", "nats-init", nats, "--host", "127.0.0.1", "--port", "14222", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out.configFile).toBe(join(nats, "nats-server.conf"));
    const conf = readFileSync(out.configFile, "utf8");
    expect(conf).toContain('listen: "127.0.0.1:14222"');
    expect(conf).toContain(`store_dir: ${JSON.stringify(join(nats, "store"))}`);
    const t = spawnSync("nats-server", ["-t", "-c", out.configFile], { encoding: "utf8" });
    expect(t.status, t.stderr).toBe(0);
    const creds = readFileSync(out.creds.gateway, "utf8");
    const again = await runCli(["service", "nats-init", nats, "--json"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(out.creds.gateway, "utf8")).toBe(creds);
    expect(readFileSync(out.configFile, "utf8")).toContain('listen: "0.0.0.0:4222"');
    expect((await runCli(["service", "nats-init", nats, "--host", "nats"], env)).code).toBe(2); // bad_request
  });
});
