/**
 * Time travel on a long session, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/timetravel.bench.ts                       # 1,000 exchanges = 9,001 events
 *   npx tsx bench/timetravel.bench.ts --exchanges 2000 --others 50000 --queries 20
 *
 * Writes `--others` events of other sessions, then one long session whose every exchange is a
 * user message, a run that asks for a tool, the tool's approval, the tool's result and the reply
 * (9 events on 3 aggregates), interleaved with more of the others. Then measures what
 * `cairn sessions at KEY --seq N` does — `loadSessionEvents` (the session's, its runs' and its
 * approvals' subjects) and `sessionAt` (the fold) — at a sequence near the end and one in the
 * middle: p50 and p99 over `--queries` repetitions each. Then the scrubber's case: the gateway's
 * cache holds the session, and each move (with other events appended in between) costs the read
 * of the log's tail and the fold.
 */
import { parseArgs } from "node:util";
import { approvalIdFor } from "../actors/approval/index.ts";
import { EventLog, ensureStreams } from "../bus/index.ts";
import { loadSessionEvents, SessionEventsCache, sessionAt } from "../projections/index.ts";
import type { AggregateKind, NewEvent } from "../schemas/index.ts";
import { startTestNats } from "../tests/fixtures/nats.ts";
import { appendSessions, EVENTS_PER_SESSION } from "./lib/eventlog.ts";
import { Cleanup, cleanUpOnAbort, round } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    exchanges: { type: "string", default: "1000" },
    others: { type: "string", default: "20000" },
    queries: { type: "string", default: "10" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/timetravel.bench.ts [--exchanges 1000] [--others 20000] [--queries 10]\n");
  process.exit(0);
}
const exchanges = Number(values.exchanges);
const others = Number(values.others);
const queries = Number(values.queries);
const log = (s: string) => process.stderr.write(`${s}\n`);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 30 * 60_000, log);

/** One long session: `exchanges` × (message, run with a tool call, its approval, the tool, the reply). */
async function writeLongSession(eventLog: EventLog, key: string, between: () => Promise<void>): Promise<number[]> {
  const seqs: number[] = [];
  const last = new Map<string, number>();
  const append = async (kind: AggregateKind, id: string, event: NewEvent, eventId: string) => {
    const at = `${kind}.${id}`;
    const [seq] = await eventLog.append({
      kind,
      id,
      expectedSeq: last.get(at) ?? 0,
      events: [event],
      eventIds: [eventId],
      now: Date.now(),
    });
    last.set(at, seq);
    seqs.push(seq);
  };
  await append("session", key, { type: "session.created", data: { key, title: "A long session", model: null } }, `${key}-created`);
  for (let x = 0; x < exchanges; x++) {
    const runId = `${key}-r${x}`;
    const messageId = `${key}-m${x}`;
    const callId = `call-${x}`;
    const approval = approvalIdFor(runId, callId);
    const usage = { inputTokens: 300 + x, outputTokens: 40 };
    await append(
      "session",
      key,
      { type: "session.user_message", data: { messageId, text: `list the files, take ${x}`, runId } },
      `${messageId}-u`,
    );
    await append(
      "run",
      runId,
      { type: "run.started", data: { runId, sessionKey: key, model: "openai/gpt-4o-mini", triggerMessageId: messageId } },
      `${runId}-s`,
    );
    await append(
      "run",
      runId,
      {
        type: "run.tool_call_requested",
        data: {
          callId,
          name: "exec",
          arguments: JSON.stringify({ command: `ls -la /tmp/${x}` }),
          iteration: 1,
          reply: { text: "Let me look.", usage },
        },
      },
      `${runId}-c`,
    );
    await append(
      "approval",
      approval,
      {
        type: "approval.requested",
        data: {
          runId,
          sessionKey: key,
          callId,
          tool: "exec",
          command: `ls -la /tmp/${x}`,
          reason: "not on the safe list",
          expiresAt: Date.now() + 600_000,
        },
      },
      `${approval}-r`,
    );
    await append("approval", approval, { type: "approval.granted", data: { by: "user:cli" } }, `${approval}-g`);
    await append("run", runId, { type: "run.tool_started", data: { callId } }, `${runId}-ts`);
    await append(
      "run",
      runId,
      {
        type: "run.tool_finished",
        data: { callId, output: `total ${x}\nfile-a\nfile-b`, truncated: false, isError: false, durationMs: 12 },
      },
      `${runId}-tf`,
    );
    await append(
      "run",
      runId,
      { type: "run.completed", data: { text: `There are ${x} files.`, usage, finishReason: "stop" } },
      `${runId}-d`,
    );
    await append(
      "session",
      key,
      { type: "session.run_ended", data: { runId, status: "completed", messageId: `${runId}-reply` } },
      `${runId}-e`,
    );
    if (x % 50 === 49) await between();
  }
  return seqs;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

try {
  const nats = await startTestNats();
  cleanup.add("nats", () => nats.stop());
  const nc = await nats.connect("cairn-bench");
  await ensureStreams(nc);
  const eventLog = await EventLog.open(nc);
  const t0 = performance.now();
  const sessions = Math.ceil(others / EVENTS_PER_SESSION);
  const before = Math.ceil(sessions / 2);
  await appendSessions(eventLog, "other", before, 32);
  // The rest of the others are written between the long session's exchanges: its events are
  // spread over the log, as a long-lived chat's are.
  let next = 0;
  const slices = Math.max(1, Math.ceil(exchanges / 50));
  const perSlice = Math.ceil((sessions - before) / slices);
  const between = async () => {
    await appendSessions(eventLog, `later${next++}`, perSlice, 8);
  };
  const seqs = await writeLongSession(eventLog, "long", between);
  const logLast = await eventLog.lastSeq();
  log(`timetravel: wrote ${logLast} events (${seqs.length} in the long session) in ${round((performance.now() - t0) / 1000, 1)} s`);

  const points = { end: seqs[seqs.length - 2], middle: seqs[Math.floor(seqs.length / 2)] };
  const results: Record<string, unknown> = { logEvents: logLast, sessionEvents: seqs.length };
  for (const [name, seq] of Object.entries(points)) {
    const load: number[] = [];
    const fold: number[] = [];
    const total: number[] = [];
    let applied = 0;
    for (let q = 0; q < queries; q++) {
      const a = performance.now();
      const events = await loadSessionEvents(eventLog, "long", approvalIdFor);
      const b = performance.now();
      applied = sessionAt(events, { seq }).applied;
      const c = performance.now();
      load.push(b - a);
      fold.push(c - b);
      total.push(c - a);
    }
    const r = {
      seq,
      applied,
      p50Ms: round(pct(total, 50), 1),
      p99Ms: round(pct(total, 99), 1),
      loadP50Ms: round(pct(load, 50), 1),
      foldP50Ms: round(pct(fold, 50), 1),
    };
    log(
      `timetravel: at ${name} (seq ${seq}, ${applied} events folded): p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (load p50 ${r.loadP50Ms} ms, fold p50 ${r.foldP50Ms} ms)`,
    );
    results[name] = r;
  }
  // The scrubber: the gateway keeps the session between moves (SessionEventsCache), and each move
  // reads only what the log gained since — here one other session's events between moves.
  const cache = new SessionEventsCache(eventLog, approvalIdFor);
  const c0 = performance.now();
  await cache.get("long");
  const coldMs = performance.now() - c0;
  const moves: number[] = [];
  for (let q = 0; q < queries; q++) {
    await appendSessions(eventLog, `scrub${q}`, 1, 1);
    const a = performance.now();
    const events = await cache.get("long");
    sessionAt(events, { seq: seqs[Math.floor(Math.random() * seqs.length)] });
    moves.push(performance.now() - a);
  }
  results.scrub = { firstLoadMs: round(coldMs, 1), moveP50Ms: round(pct(moves, 50), 1), moveP99Ms: round(pct(moves, 99), 1) };
  log(
    `timetravel: scrubbing (cached, ${EVENTS_PER_SESSION} other events appended between moves): first load ${round(coldMs, 1)} ms, then a move p50 ${round(pct(moves, 50), 1)} ms, p99 ${round(pct(moves, 99), 1)} ms`,
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
  await nc.close();
} catch (e) {
  // Exiting in `finally` would swallow it.
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanup.runAll();
  process.exit();
}
