/**
 * Cost of the exec approval gate in `smart` mode, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/exec-policy.bench.ts              # 20,000 verdicts per command class
 *   npx tsx bench/exec-policy.bench.ts --n 50000
 *
 * Measures, in this process: the one-time grammar load (web-tree-sitter init + the bash wasm),
 * then the verdict (parse + walk + rules, tree freed) per command for a short read-only command, a
 * pipeline, a hostile command refused early, a 1 KB chain and the hostile fixture as a whole; and
 * the async `execVerdict` the run awaits (one microtask more). Prints a table, then one JSON line.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { bashParser, execVerdict, execVerdictWith } from "../actors/approval/index.ts";
import { round, summarize } from "./lib/util.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "20000" } } });
const n = Number(values.n);

const t0 = performance.now();
const parser = await bashParser();
const loadMs = performance.now() - t0;

const hostile = (
  JSON.parse(readFileSync(new URL("../tests/fixtures/hostile-commands.json", import.meta.url), "utf8")) as { command: string }[]
).map((h) => h.command);
const classes: Record<string, readonly string[]> = {
  "ls -la": ["ls -la"],
  "pipeline (4 stages)": ["cat a.txt | sort | uniq -c | sort -rn | head"],
  "find . -name '*.ts' -type f": ["find . -name '*.ts' -type f"],
  "hostile: git status": ["git status"],
  "1 KB chain of ls": [Array.from({ length: 170 }, () => "ls").join(" && ")],
  [`hostile fixture (${hostile.length} commands)`]: hostile,
};

/** Microseconds per verdict, in batches so the timer's own cost stays out of the figure. */
const measure = (commands: readonly string[]): { p50: number; p99: number; mean: number } => {
  for (let i = 0; i < 2000; i++) execVerdictWith(parser, commands[i % commands.length]); // warm-up (JIT)
  const batch = 100;
  const perCall: number[] = [];
  for (let done = 0; done < n; done += batch) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) execVerdictWith(parser, commands[(done + i) % commands.length]);
    perCall.push(((performance.now() - start) * 1000) / batch);
  }
  const s = summarize(perCall);
  return { p50: round(s.p50), p99: round(s.p99), mean: round(s.mean) };
};

const rows: Record<string, { p50: number; p99: number; mean: number }> = {};
for (const [name, commands] of Object.entries(classes)) rows[name] = measure(commands);

const asyncStart = performance.now();
for (let i = 0; i < n; i++) await execVerdict("ls -la", "smart");
const asyncUs = round(((performance.now() - asyncStart) * 1000) / n);

console.log(`grammar load (once): ${round(loadMs)} ms`);
console.log("verdict per command (µs, batches of 100):");
for (const [name, r] of Object.entries(rows)) console.log(`  ${name.padEnd(40)} p50 ${r.p50}  p99 ${r.p99}  mean ${r.mean}`);
console.log(`  ${"async execVerdict('ls -la')".padEnd(40)} mean ${asyncUs}`);
console.log(JSON.stringify({ n, loadMs: round(loadMs), verdictUs: rows, asyncLsUs: asyncUs }));
