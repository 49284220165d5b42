/**
 * How fast `cairn` starts, run by hand (never by the test suite; figures are reported, not
 * asserted):
 *
 *   npx tsx bench/cli-start.bench.ts                  # 20 runs of each
 *   npx tsx bench/cli-start.bench.ts --runs 40
 *   npx tsx bench/cli-start.bench.ts --bin /tmp/old/cli/bin.mjs   # another checkout, to compare
 *
 * Wall-clock ms from spawn to exit, median and min over the runs, of `node -e 0` (the floor: Node
 * itself) and of `cairn --version`, `--help`, `sessions list --json` with no gateway (module
 * loading, then the "not running" error) and against a real gateway (a NATS query). The commands
 * take turns within each round, so a busy moment of the machine spreads over all of them. The
 * bundle is built first (as set-up does), so no row pays for a build.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BIN, startGatewayProc } from "../tests/fixtures/gateway.ts";
import { median } from "./lib/util.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, bin: { type: "string", default: BIN } } });
const runs = Number(values.runs);
const bin = values.bin as string;

const time = (args: string[], env: NodeJS.ProcessEnv): number => {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - t;
  if (r.error) throw r.error;
  return ms;
};

const build = join(bin, "..", "build.mjs");
// An older checkout has no build.mjs: its first command builds the bundle instead.
if (existsSync(build)) spawnSync(process.execPath, [build, "--if-stale"], { stdio: "inherit" });
spawnSync(process.execPath, [bin, "sessions", "list"], { stdio: "ignore" });

const noGateway = { ...process.env, CAIRN_DATA_DIR: mkdtempSync(join(tmpdir(), "cairn-bench-cli-")) };
const gw = await startGatewayProc({ model: null });
try {
  const rows: Array<{ label: string; args: string[]; env: NodeJS.ProcessEnv; ms: number[] }> = [
    { label: "node -e 0", args: ["-e", "0"], env: process.env, ms: [] },
    { label: "cairn --version", args: [bin, "--version"], env: process.env, ms: [] },
    { label: "cairn --help", args: [bin, "--help"], env: process.env, ms: [] },
    { label: "cairn sessions list --json (no gateway)", args: [bin, "sessions", "list", "--json"], env: noGateway, ms: [] },
    { label: "cairn sessions list --json (gateway)", args: [bin, "sessions", "list", "--json"], env: gw.env, ms: [] },
  ];
  for (let i = 0; i < runs; i++) for (const r of rows) r.ms.push(time(r.args, r.env));

  const floor = median(rows[0].ms);
  const cells = rows.map((r) => [r.label, median(r.ms).toFixed(0), Math.min(...r.ms).toFixed(0), (median(r.ms) / floor).toFixed(2)]);
  const head = ["command", "median ms", "min ms", "× node -e 0"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  ");
  console.log(`${runs} runs each; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}; ${bin}`);
  console.log(line(head));
  for (const c of cells) console.log(line(c));
} finally {
  await gw.dispose();
  rmSync(noGateway.CAIRN_DATA_DIR as string, { recursive: true, force: true });
}
