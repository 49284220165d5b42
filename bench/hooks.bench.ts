/**
 * Latency hooks add to one tool call, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/hooks.bench.ts            # 200 calls per case
 *   npx tsx bench/hooks.bench.ts --n 500
 *
 * A tool call passes two hook points: `BeforeToolCall` (awaited: modifying hooks run one after
 * the other) and `AfterToolCall` (observed: fired, never awaited). Per case this measures what the
 * call waits for — `has` + `modify` on BeforeToolCall + `observe` on AfterToolCall — with real
 * child processes (`/bin/sh` scripts in a temp dir), and separately how long the observers take to
 * finish in the background (`idle`). Cases: no hooks; 1 and 10 read-only (AfterToolCall) hooks;
 * one modifying hook (BeforeToolCall, rewrites the arguments with a one-line shell `printf`).
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HookDispatcher, discoverHooks } from "../actors/hooks/index.ts";
import { round, summarize } from "./lib/util.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "200" } } });
const n = Number(values.n);

const hookSet = (observers: number, modifying: boolean): HookDispatcher => {
  const root = mkdtempSync(join(tmpdir(), "cairn-hooks-bench-"));
  const write = (name: string, event: string, script: string) => {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, "HOOK.md"), `+++\nname = "${name}"\nevents = ["${event}"]\ncommand = "./h.sh"\n+++\n`);
    writeFileSync(join(root, name, "h.sh"), `#!/bin/sh\n${script}\n`);
    chmodSync(join(root, name, "h.sh"), 0o755);
  };
  for (let i = 0; i < observers; i++) write(`obs-${i}`, "AfterToolCall", "cat > /dev/null");
  if (modifying)
    write("mod", "BeforeToolCall", `cat > /dev/null; printf '%s' '{"action":"modify","data":{"arguments":{"command":"ls -l"}}}'`);
  return new HookDispatcher(discoverHooks({ userDir: root, bundledDir: null }), { now: Date.now, report: () => {} });
};

const cases: [string, HookDispatcher][] = [
  ["no hooks", hookSet(0, false)],
  ["1 read-only hook", hookSet(1, false)],
  ["10 read-only hooks", hookSet(10, false)],
  ["1 modifying hook", hookSet(0, true)],
];

const rows: Record<string, unknown>[] = [];
for (const [name, d] of cases) {
  const waited: number[] = [];
  const background: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    if (d.has("BeforeToolCall"))
      await d.modify("BeforeToolCall", { tool: "exec", arguments: { command: "ls" } }, "bench", { record: async () => {} });
    if (d.has("AfterToolCall")) d.observe("AfterToolCall", { tool: "exec", output: "x", is_error: false }, "bench");
    const t1 = performance.now();
    await d.idle();
    waited.push(t1 - t0);
    background.push(performance.now() - t1);
  }
  const w = summarize(waited);
  const b = summarize(background);
  rows.push({
    case: name,
    waitedP50Ms: round(w.p50, 3),
    waitedP99Ms: round(w.p99, 3),
    observersDoneP50Ms: round(b.p50, 2),
    observersDoneP99Ms: round(b.p99, 2),
  });
}
console.table(rows);
console.log(JSON.stringify({ bench: "hooks", n, rows }));
