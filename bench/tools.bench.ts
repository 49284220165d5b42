/**
 * Agent tool-call benchmark, run by hand (never by the test suite; figures are reported, not
 * asserted):
 *
 *   npx tsx bench/tools.bench.ts                  # 100 sequential calls, 10 × 20 parallel per tool
 *   npx tsx bench/tools.bench.ts --calls 100 --reps 10
 *
 * On real parts (a nats-server, the event log, the actor system with its projector, the scripted
 * OpenAI-wire server, bubblewrap) it measures what the agent loop adds around a tool:
 *  (a) overhead per call: from the end of the model's tool-call response to the next model
 *      request, minus the tool's own time — i.e. `request_tools`, `start_tool`, `finish_tool`
 *      appends, the live notices, dispatch, the result and the next request's build and send.
 *      A no-op in-process tool, one call per model response, ≥ 50 calls;
 *  (b) one response with 20 parallel calls, for the no-op tool and for `exec true` under
 *      bubblewrap (approval_mode "never"): wall time of the whole tool step and per call.
 * Prints a table, then one JSON line with every number.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as Schema from "effect/Schema";
import { SnapshotStore } from "../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../actors/index.ts";
import { defineTool, execTool, workspaceToolRegistry } from "../actors/tools/index.ts";
import type { RecordedRequest, ScriptedToolCall } from "../tests/fixtures/llm-server/index.ts";
import { aggregateEvents, chatUntilEnded, startStack, type Stack } from "../tests/fixtures/stack.ts";
import { Cleanup, cleanUpOnAbort, percentile, round, wallClockMs } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "100" },
    reps: { type: "string", default: "10" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/tools.bench.ts [--calls 100] [--reps 10]\n");
  process.exit(0);
}
const CALLS = Math.max(10, Number(values.calls));
const REPS = Math.max(1, Number(values.reps));
/** Calls per run in (a): a run's prompt grows with each call, so runs stay short. */
const PER_RUN = 10;
const PARALLEL = 20;
const TIME_LIMIT_MS = 5 * 60_000;

const log = (s: string) => process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, TIME_LIMIT_MS, log);

/** The no-op tool records when it ran (wall clock, comparable with the LLM fixture's times). */
const noopTimes: Array<{ start: number; end: number }> = [];
const noopTool = defineTool({
  name: "noop",
  description: "Does nothing and says ok.",
  source: "builtin",
  // An empty Struct has no JSON Schema "type": one optional key makes it an object schema.
  params: Schema.Struct({ note: Schema.optionalKey(Schema.String) }),
  dangerous: false,
  run: async () => {
    const start = wallClockMs();
    const out = { output: "ok" };
    noopTimes.push({ start, end: wallClockMs() });
    return out;
  },
});

const stats = (xs: readonly number[]) => ({
  n: xs.length,
  median: round(percentile(xs, 50), 2),
  p95: round(percentile(xs, 95), 2),
  min: round(Math.min(...xs), 2),
  max: round(Math.max(...xs), 2),
});
type Stats = ReturnType<typeof stats>;

/** The tool step as the model server saw it: its tool-call response ended → the next request came. */
const stepMs = (req: RecordedRequest, next: RecordedRequest): number => {
  if (req.endedAt === null) throw new Error("the tool-call response never ended");
  return next.receivedAt - req.endedAt;
};

const noopCall = (id: string): ScriptedToolCall => ({ id, name: "noop", arguments: "{}" });
const execCall = (id: string): ScriptedToolCall => ({ id, name: "exec", arguments: JSON.stringify({ command: "true" }) });

async function main() {
  const s: Stack = await startStack();
  cleanup.add("stack", () => s.stop());
  await s.actors.stop();
  const snapshots = await SnapshotStore.open(s.nc);
  const root = mkdtempSync(join(tmpdir(), "cairn-tools-bench-"));
  cleanup.add("workspaces", () => rmSync(root, { recursive: true, force: true }));
  const tools = workspaceToolRegistry()
    .register(noopTool)
    .register(execTool({ sandbox: "bubblewrap" }));
  const sys: ActorSystem = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots,
    model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
    agent: { workspaceRoot: root, tools, maxIterations: PER_RUN + 5, exec: { sandbox: "bubblewrap", approvalMode: "never" } },
  });
  cleanup.add("actor system", async () => {
    await sys.stop();
    await tools.dispose();
  });

  /** Runs one chat turn whose model asks for `replies` tool-call responses, then answers "done". */
  const turn = async (session: string, replies: ScriptedToolCall[][]) => {
    const from = s.llm.requests.length;
    s.llm.script(...replies.map((toolCalls) => ({ toolCalls })), { chunks: ["done"] });
    const { runId, live } = await chatUntilEnded(s.nc, session, `go ${from}`);
    const ended = live.find((m) => m.type === "run.ended");
    if (!ended || (ended as { status: string }).status !== "completed")
      throw new Error(`run ${runId} did not complete: ${JSON.stringify(ended)}`);
    const reqs = s.llm.requests.slice(from);
    if (reqs.length !== replies.length + 1) throw new Error(`expected ${replies.length + 1} model requests, got ${reqs.length}`);
    return { runId, reqs };
  };

  // (a) Sequential calls, one per model response.
  log(`(a) overhead per call: 1 warm-up run, then ${CALLS} no-op calls in runs of ${PER_RUN}`);
  await turn(
    "a-warm",
    Array.from({ length: 5 }, (_, i) => [noopCall(`call_w${i}`)]),
  );
  const overhead: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; overhead.length < CALLS; r++) {
    noopTimes.length = 0;
    const { reqs } = await turn(
      `a-${r}`,
      Array.from({ length: PER_RUN }, (_, i) => [noopCall(`call_${r}_${i}`)]),
    );
    for (let i = 0; i < PER_RUN; i++) {
      const t = noopTimes[i];
      const step = stepMs(reqs[i], reqs[i + 1]);
      overhead.push(step - (t.end - t.start));
      before.push(t.start - reqs[i].endedAt!);
      after.push(reqs[i + 1].receivedAt - t.end);
    }
  }

  // (b) One response with 20 parallel calls.
  const parallel = async (name: "noop" | "exec") => {
    log(`(b) ${PARALLEL} parallel ${name} calls: 1 warm-up run + ${REPS} measured`);
    const make = name === "noop" ? noopCall : execCall;
    const session = `b-${name}`;
    const batch = (r: number) => Array.from({ length: PARALLEL }, (_, i) => make(`call_${name}_${r}_${i}`));
    await turn(session, [batch(-1)]);
    const wall: number[] = [];
    const perCall: number[] = [];
    const toolOwn: number[] = [];
    for (let r = 0; r < REPS; r++) {
      noopTimes.length = 0;
      const { runId, reqs } = await turn(session, [batch(r)]);
      const w = stepMs(reqs[0], reqs[1]);
      wall.push(w);
      perCall.push(w / PARALLEL);
      if (name === "noop") for (const t of noopTimes) toolOwn.push(t.end - t.start);
      else {
        const finished = (await aggregateEvents(s.log, "run", runId)).filter((e) => e.type === "run.tool_finished");
        if (finished.length !== PARALLEL) throw new Error(`expected ${PARALLEL} finished calls, got ${finished.length}`);
        for (const e of finished) {
          const d = e.data as { durationMs: number; isError: boolean; output: string };
          if (d.isError || !/exit code 0/.test(d.output)) throw new Error(`exec true failed: ${d.output}`);
          toolOwn.push(d.durationMs);
        }
      }
    }
    return { tool: name, calls: PARALLEL, reps: REPS, stepWallMs: stats(wall), perCallMs: stats(perCall), toolOwnMs: stats(toolOwn) };
  };
  const noopParallel = await parallel("noop");
  const execParallel = await parallel("exec");

  return {
    sequential: {
      calls: overhead.length,
      overheadMs: stats(overhead),
      responseToToolStartMs: stats(before),
      toolEndToNextRequestMs: stats(after),
    },
    parallel: [noopParallel, execParallel],
  };
}

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "?",
  loadAvgAtStart: loadavg().map((x) => round(x)),
};
log(`cairn tools bench on ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAvgAtStart.join(" ")}`);
const t0 = performance.now();
let result: Awaited<ReturnType<typeof main>> | null = null;
let failed = false;
try {
  result = await main();
} catch (e) {
  failed = true;
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup.runAll();
}

const fmt = (x: Stats) => `${x.median.toFixed(2).padStart(8)} ${x.p95.toFixed(2).padStart(8)}`;
if (result) {
  const seq = result.sequential;
  const lines = [
    `                                                   median      p95   (ms)`,
    `(a) overhead per call (no-op tool, n=${seq.calls})`.padEnd(50) + fmt(seq.overheadMs),
    `    model response end → tool start`.padEnd(50) + fmt(seq.responseToToolStartMs),
    `    tool end → next model request`.padEnd(50) + fmt(seq.toolEndToNextRequestMs),
  ];
  for (const p of result.parallel) {
    lines.push(`(b) ${p.calls} parallel ${p.tool}: tool step wall (n=${p.reps})`.padEnd(50) + fmt(p.stepWallMs));
    lines.push(`    per call (wall / ${p.calls})`.padEnd(50) + fmt(p.perCallMs));
    lines.push(`    each call's own time (n=${p.toolOwnMs.n})`.padEnd(50) + fmt(p.toolOwnMs));
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
const out = {
  bench: "cairn-tools",
  machine: { ...machine, loadAvgAtEnd: loadavg().map((x) => round(x)) },
  totalSeconds: round((performance.now() - t0) / 1000, 1),
  ...result,
  failed,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(failed ? 1 : 0);
