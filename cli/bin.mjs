#!/usr/bin/env -S node --max-semi-space-size=2
// The `cairn` command. `--version` and `--help` are answered here without loading anything else;
// every other command runs from the esbuild bundle in dist/cli (cli/build.mjs). The bundle is
// built by set-up, and here when missing (the first run after a clone); whether the sources
// changed since is checked only by `cairn gateway` (long-running: the walk over the sources costs
// nothing there) or on every command with CAIRN_DEV=1. Otherwise a command does no file walk.
import { existsSync, readFileSync } from "node:fs";
import module from "node:module";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";

const argv = process.argv.slice(2);
const version = () => JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

if (argv[0] === "-v" || argv[0] === "--version") process.stdout.write(`${version()}\n`);
else await run();

async function run() {
  const { commandOf, mainHelp, walksTheLog, WALK_SEMI_SPACE_MB } = await import("./launch.mjs");
  const [command] = commandOf(argv);
  if (command === "help") {
    process.stdout.write(`${mainHelp(version())}\n`);
    return;
  }
  if (walksTheLog(argv) && process.env.CAIRN_LOG_WALK !== "1") return await again(WALK_SEMI_SPACE_MB);
  // A long-running gateway with a small young generation: V8's default lets it grow to 32 MB of
  // mostly garbage that is never collected while idle (measured: 128 MB -> 83 MB idle RSS, no
  // measurable latency cost). Set before anything big is allocated.
  if (process.env.CAIRN_LOG_WALK !== "1") setFlagsFromString("--max-semi-space-size=2");
  // Node >= 22.1 can keep V8's compiled code of the bundle on disk between runs (Node 20 cannot).
  module.enableCompileCache?.();
  const build = await import("./build.mjs");
  const check = command === "gateway" || process.env.CAIRN_DEV === "1";
  if (check ? build.isStale() : !existsSync(build.ENTRY)) await build.buildCli();
  const { main } = await import(pathToFileURL(build.ENTRY).href);
  const code = await main(argv);
  process.exitCode = code;
  // Commands other than the gateway end here; give piped stdout a moment to drain, then exit even
  // if a library left a handle open.
  if (command !== "gateway") setTimeout(() => process.exit(code), 50).unref();
}

/**
 * This command in a node with a young generation of `mb` (see `walksTheLog`): the same script and
 * arguments, its output and exit code this process's. A signal sent to this process alone is passed
 * on; this one then waits for the child to end its own way.
 */
async function again(mb) {
  const { spawn } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const child = spawn(process.execPath, [`--max-semi-space-size=${mb}`, fileURLToPath(import.meta.url), ...argv], {
    stdio: "inherit",
    env: { ...process.env, CAIRN_LOG_WALK: "1" },
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  const [code, signal] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  const { constants } = await import("node:os");
  // Killed by a signal: 128 + its number, as a shell reports it.
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
}
