import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  installService,
  removeService,
  renderLaunchdPlist,
  renderSystemdUnit,
  serviceState,
  servicePath,
} from "../../../cli/node/index.ts";

const spec = {
  nodeBinary: "/usr/bin/node",
  cliEntry: "/opt/cairn/cli/bin.mjs",
  dataDir: "/home/ada/.cairn",
  workingDir: "/home/ada/work dir",
  path: "/usr/local/bin:/usr/bin:/bin",
  logFile: "/home/ada/.cairn/logs/node.log",
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("node service files", () => {
  it("systemd user unit runs 'node run' with the data dir and restarts on failure", () => {
    const unit = renderSystemdUnit(spec);
    expect(unit).toContain('ExecStart="/usr/bin/node" "/opt/cairn/cli/bin.mjs" "node" "run"');
    expect(unit).toContain('Environment="CAIRN_DATA_DIR=/home/ada/.cairn"');
    expect(unit).toContain('WorkingDirectory="/home/ada/work dir"');
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=default.target$/m);
  });

  it("launchd agent has the label, arguments and data dir", () => {
    const plist = renderLaunchdPlist({ ...spec, dataDir: "/Users/a&b/.cairn" });
    expect(plist).toContain("<string>org.cairn.node</string>");
    expect(plist).toContain("<string>/opt/cairn/cli/bin.mjs</string>\n    <string>node</string>\n    <string>run</string>");
    expect(plist).toContain("<string>/Users/a&amp;b/.cairn</string>");
    expect(plist).toContain("<key>RunAtLoad</key>");
  });

  it("install writes the unit under the home and says how to start it when it may not enable it; remove deletes it", () => {
    const home = mkdtempSync(join(tmpdir(), "cairn-node-home-"));
    dirs.push(home);
    const s = { platform: "linux" as const, home, env: { CAIRN_NODE_SERVICE: "none" } };
    const r = installService(spec, s);
    expect(r.file).toBe(join(home, ".config", "systemd", "user", "cairn-node.service"));
    expect(readFileSync(r.file!, "utf8")).toBe(renderSystemdUnit(spec));
    expect(r.managed).toBe(false);
    expect(r.manualCommands).toContain("systemctl --user enable --now cairn-node.service");
    expect(serviceState(s)).toMatchObject({ installed: true, running: null });
    removeService(s);
    expect(existsSync(r.file!)).toBe(false);
    expect(serviceState(s)).toMatchObject({ installed: false, running: false });
    expect(servicePath("darwin", home)).toBe(join(home, "Library", "LaunchAgents", "org.cairn.node.plist"));
  });
});
