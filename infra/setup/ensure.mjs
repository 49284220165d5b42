#!/usr/bin/env node
// Installs what cairn needs before `npm start` / `npm test`, and only what is missing or stale:
// npm dependencies (when node_modules is absent or older than package-lock.json), Debian packages
// (nats-server; chromium for the browser tests) through apt-get when running as root, and the web
// UI build when its sources changed; for `test`, the Node 24 runtime of the Node 24 smoke test
// (node24.mjs). Plain JavaScript: it runs before any dependency exists.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNode24 } from "./node24.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const mode = process.argv[2] ?? "start"; // "start" | "test"
const say = (s) => process.stderr.write(`[setup] ${s}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    say(`'${cmd} ${args.join(" ")}' failed (exit ${r.status ?? r.signal}).`);
    process.exit(1);
  }
}

// 20 to 24: the range every dependency supports (better-sqlite3 12 is built for each; 13 crashes
// on Node 20). Node 20 is end of life but still works; 21 and 23 are accepted as well.
const major = Number(process.versions.node.split(".")[0]);
if (major < 20 || major > 24) {
  say(`cairn runs on Node 20, 22 or 24 (found ${process.versions.node}). Install Node 22 or 24 and try again.`);
  process.exit(1);
}

// 1. npm dependencies: reinstall when the lock file changed since the last install.
const lockFile = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".cairn-installed");
const lockHash = existsSync(lockFile) ? createHash("sha256").update(readFileSync(lockFile)).digest("hex") : "none";
if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lockHash) {
  say("installing npm dependencies (better-sqlite3 compiles from source: 2-3 minutes the first time)…");
  // npm ci replaces node_modules anyway; clearing it first also recovers from an install that was
  // interrupted half-way (npm ci then fails with ENOTEMPTY on the leftovers).
  if (existsSync(lockFile)) rmSync(join(root, "node_modules"), { recursive: true, force: true });
  run("npm", [existsSync(lockFile) ? "ci" : "install", "--no-audit", "--no-fund"]);
  writeFileSync(stamp, lockHash);
}

// 1b. Native addons are compiled for one Node ABI (process.versions.modules): after switching Node,
// better-sqlite3 would refuse to load and the gateway would crash at start. Checked by loading it,
// only when the ABI differs from the one recorded here (kept apart from .cairn-installed, whose
// content older checkouts sharing this node_modules compare with their lock hash).
const abiStamp = join(root, "node_modules", ".cairn-abi");
const abi = process.versions.modules;
if (!existsSync(abiStamp) || readFileSync(abiStamp, "utf8") !== abi) {
  const loads = () =>
    spawnSync(process.execPath, ["-e", "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, stdio: "pipe" }).status === 0;
  if (!loads()) {
    say(`better-sqlite3 was built for another Node; rebuilding it for Node ${process.versions.node} (ABI ${abi})…`);
    // npm runs its scripts with the `node` first on PATH: make that this one.
    run("npm", ["rebuild", "better-sqlite3"], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` } });
    if (!loads()) {
      say("better-sqlite3 still does not load after the rebuild; try: rm -rf node_modules && npm ci");
      process.exit(1);
    }
  }
  writeFileSync(abiStamp, abi);
}

// 2. Debian packages.
const onPath = (bin, extra = []) => [...(process.env.PATH ?? "").split(":"), ...extra].some((d) => d && existsSync(join(d, bin)));
const isRoot = process.getuid?.() === 0;
let aptUpdated = false;
/** Installs `pkg` with apt-get when running as root; false when this process cannot. */
function aptInstall(pkg, why) {
  if (!isRoot || !onPath("apt-get", ["/usr/bin"])) return false;
  say(`installing ${pkg} (${why}) with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) run("apt-get", ["update", "-qq"], { env });
  aptUpdated = true;
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], { env });
  return true;
}
function ensurePackage(bin, pkg, why) {
  if (onPath(bin, ["/usr/sbin", "/usr/bin", "/usr/local/bin"]) || aptInstall(pkg, why)) return;
  say(`${pkg} is missing (${why}). Install it with:  sudo apt-get install ${pkg}`);
  process.exit(1);
}
ensurePackage("nats-server", "nats-server", "the embedded message bus");
ensurePackage("bwrap", "bubblewrap", "the sandbox for the agent's shell commands");
if (mode === "test") ensurePackage("chromium", "chromium", "the browser end-to-end tests");
// The docker sandbox tests start a private dockerd and build their image from busybox-static.
// Optional: without root the tests skip (saying why), and `npm start` never needs docker.
const debInstalled = (pkg) =>
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Status} is dpkg-query's format field, not a template
  spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout?.includes("install ok installed") ?? false;
function optionalPackage(present, pkg, why) {
  if (present() || aptInstall(pkg, why)) return;
  say(`${pkg} is missing (${why}); those tests will be skipped. Install it with:  sudo apt-get install ${pkg}`);
}
if (mode === "test") {
  optionalPackage(() => onPath("dockerd", ["/usr/sbin", "/usr/bin"]), "docker.io", "the docker sandbox tests");
  // The static build: the image has no libc for the dynamically linked `busybox` package.
  optionalPackage(() => debInstalled("busybox-static"), "busybox-static", "the docker sandbox tests' base image");
  // The compose test (tests/infra/compose.test.ts) validates and brings up docker-compose.yml with
  // Debian's docker-compose 1.29 (its base images are made from this machine's own Node).
  optionalPackage(() => onPath("docker-compose", ["/usr/bin"]), "docker-compose", "the docker compose test");
}

// 3. The web UI: rebuild when any source is newer than the build.
const newest = (dir) => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? (e.name === "dist" || e.name === "node_modules" ? 0 : newest(p)) : statSync(p).mtimeMs);
  }
  return t;
};
const built = join(root, "ui", "dist", "index.html");
const sourcesAt = Math.max(newest(join(root, "ui")), statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? 0);
if (!existsSync(built) || statSync(built).mtimeMs < sourcesAt) {
  say("building the web UI…");
  run(process.execPath, [
    join(root, "node_modules", "vite", "bin", "vite.js"),
    "build",
    "--config",
    "ui/vite.config.ts",
    "--logLevel",
    "warn",
  ]);
}

// uWebSockets.js publishes native builds for some Node versions only (not 22 or 24); without one the
// edge serves HTTP and WebSocket through node:http. Said once here, so nobody hunts for the reason.
try {
  execFileSync(process.execPath, ["-e", "require('uWebSockets.js')"], { cwd: root, stdio: "pipe" });
} catch {
  say(`note: uWebSockets.js has no native build for Node ${process.versions.node}; the web edge will use node:http.`);
}

// 4. Bundle the CLI (when a source changed): `cairn` commands use the bundle as it is and do not
// look at the sources, and the test files' parallel first runs must not race to build it.
run(process.execPath, [join(root, "cli", "build.mjs"), "--if-stale"]);

// 5. `cairn` on the PATH: npm link puts it in npm's global bin (root only: elsewhere that is a
// system folder); otherwise say how. Skipped when `cairn` already runs this checkout.
if (mode === "start") {
  const bin = join(root, "cli", "bin.mjs");
  const found = (process.env.PATH ?? "")
    .split(":")
    .map((d) => join(d || ".", "cairn"))
    .find((p) => existsSync(p));
  if (found === undefined || realpathSync(found) !== realpathSync(bin)) {
    if (isRoot) run("npm", ["link", "--no-audit", "--no-fund", "--silent"]);
    else say(`to type 'cairn' for 'node cli/bin.mjs', add this line to your shell's rc file:  alias cairn="node ${bin}"`);
  }
}

// 6. The Node 24 binary and a better-sqlite3 built for it, for tests/e2e/node24.smoke.test.ts.
if (mode === "test") ensureNode24(root);
