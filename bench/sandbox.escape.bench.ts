/**
 * The symlink race of issue 10 at scale, run by hand (the test suite runs it with a small count):
 *
 *   npx tsx bench/sandbox.escape.bench.ts              # 3,000 rounds (7 gateway operations each)
 *   npx tsx bench/sandbox.escape.bench.ts --rounds 10000
 *
 * A command in a real bubblewrap sandbox flips workspace paths between real files/directories and
 * symlinks to host files while the gateway's file operations hit them (see
 * tests/actors/sandbox/symlink.race.ts). Prints the counts as one JSON line: `hostReads` and
 * `hostWrites` must be 0; `naiveHostReads` (a plain readFile of the same path, the control) shows
 * how often the race was there to win. Needs bubblewrap.
 */
import { parseArgs } from "node:util";
import { probeBubblewrap } from "../actors/sandbox/index.ts";
import { runSymlinkRace } from "../tests/actors/sandbox/symlink.race.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3000" } } });
const probe = probeBubblewrap();
if (!probe.ok) {
  process.stderr.write(`bubblewrap cannot run here: ${probe.reason}\n`);
  process.exit(2);
}
const f = await runSymlinkRace(Number(values.rounds));
process.stdout.write(`${JSON.stringify({ ...f, ms: Math.round(f.ms) })}\n`);
process.exit(f.hostReads === 0 && f.hostWrites === 0 ? 0 : 1);
