/**
 * Sections 4 and 5: event append rate against a real nats-server, and the rate of a full read-model
 * rebuild (`buildFresh`) from the resulting log.
 *
 * The events are those a chat produces: `session.created`, then per exchange
 * `session.user_message`, `run.started`, `run.completed`, `session.run_ended` — each appended on
 * its own aggregate with the expected last sequence, as the single-writer hosts do.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventLog, ensureStreams } from "../../bus/index.ts";
import { buildFresh } from "../../projections/index.ts";
import type { AggregateKind, NewEvent } from "../../schemas/index.ts";
import { startTestNats } from "../../tests/fixtures/nats.ts";
import type { Cleanup } from "./util.ts";

/** Exchanges per session: 1 + 4 × 10 = 41 events per session. */
const EXCHANGES = 10;
export const EVENTS_PER_SESSION = 1 + 4 * EXCHANGES;

const WORDS = "the gateway streams tokens from the model to every subscribed client while the log keeps the facts".split(" ");
const prose = (seed: number, words: number): string => {
  let s = "";
  for (let i = 0; i < words; i++) s += (i ? " " : "") + WORDS[(seed * 7 + i * 13) % WORDS.length];
  return s;
};

/** Writes one realistic session (41 events over 1 session and 10 run aggregates). */
async function writeSession(log: EventLog, key: string, n: number): Promise<number> {
  let count = 0;
  const append = async (kind: AggregateKind, id: string, expectedSeq: number, event: NewEvent, eventId: string): Promise<number> => {
    const [seq] = await log.append({ kind, id, expectedSeq, events: [event], eventIds: [eventId], now: Date.now() });
    count++;
    return seq;
  };
  let s = await append(
    "session",
    key,
    0,
    { type: "session.created", data: { key, title: `Bench session ${n}`, model: null } },
    `${key}-created`,
  );
  for (let x = 0; x < EXCHANGES; x++) {
    const runId = `${key}-r${x}`;
    const messageId = `${key}-m${x}`;
    const reply = prose(n + x, 120 + ((n * 31 + x * 17) % 160));
    s = await append(
      "session",
      key,
      s,
      { type: "session.user_message", data: { messageId, text: prose(n * 3 + x, 12 + (x % 20)), runId } },
      `${messageId}-user`,
    );
    let r = await append(
      "run",
      runId,
      0,
      { type: "run.started", data: { runId, sessionKey: key, model: "openai/gpt-4o-mini", triggerMessageId: messageId } },
      `${runId}-started`,
    );
    r = await append(
      "run",
      runId,
      r,
      {
        type: "run.completed",
        data: { text: reply, usage: { inputTokens: 200 + x * 150, outputTokens: reply.length >> 2 }, finishReason: "stop" },
      },
      `${runId}-completed`,
    );
    s = await append(
      "session",
      key,
      s,
      { type: "session.run_ended", data: { runId, status: "completed", messageId: `${runId}-reply` } },
      `end-${runId}`,
    );
  }
  return count;
}

export interface AppendRun {
  mode: "sequential" | "concurrent";
  writers: number;
  sessions: number;
  events: number;
  ms: number;
  perSec: number;
}

/** Appends `sessions` sessions with `writers` concurrent writers (each session has one writer). */
export async function appendSessions(log: EventLog, prefix: string, sessions: number, writers: number): Promise<AppendRun> {
  let next = 0;
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < sessions) {
        const n = next++;
        // Not `events += await …`: that reads `events` before the await and loses the others' counts.
        const written = await writeSession(log, `${prefix}-s${n}`, n);
        events += written;
      }
    }),
  );
  const ms = performance.now() - t0;
  return { mode: writers === 1 ? "sequential" : "concurrent", writers, sessions, events, ms, perSec: (events / ms) * 1000 };
}

export interface RebuildResult {
  events: number;
  /** `buildFresh` (read + decode + apply to SQLite + WAL checkpoint). */
  ms: number;
  perSec: number;
  /** Reading and decoding the whole log without applying it, for comparison. */
  readOnlyMs: number;
  readOnlyPerSec: number;
}

export interface EventLogResult {
  appends: AppendRun[];
  rebuild: RebuildResult;
}

export async function runEventLog(o: {
  appendEvents: number;
  concurrency: number;
  rebuildEvents: number;
  cleanup: Cleanup;
  log: (s: string) => void;
}): Promise<EventLogResult> {
  const nats = await startTestNats();
  const stopNats = o.cleanup.add("test nats", () => nats.stop());
  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-rebuild-"));
  const removeDir = o.cleanup.add("rebuild dir", () => rmSync(dir, { recursive: true, force: true }));
  try {
    const nc = await nats.connect("cairn-bench");
    await ensureStreams(nc);
    const log = await EventLog.open(nc);
    const sessions = Math.ceil(o.appendEvents / EVENTS_PER_SESSION);
    // A few appends first so connection setup and stream creation are not timed.
    await appendSessions(log, "warm", 1, 1);
    const seq = await appendSessions(log, "seq", sessions, 1);
    o.log(`  append: sequential ${seq.events} events`);
    const con = await appendSessions(log, "con", sessions, o.concurrency);
    o.log(`  append: concurrent ${con.events} events`);
    const have = await log.lastSeq();
    if (have < o.rebuildEvents) {
      await appendSessions(log, "fill", Math.ceil((o.rebuildEvents - have) / EVENTS_PER_SESSION), o.concurrency);
    }
    const total = await log.lastSeq();
    o.log(`  rebuild: log holds ${total} events`);

    const r0 = performance.now();
    let read = 0;
    for await (const r of log.read({ fromSeq: 1, untilSeq: total })) {
      if (!r.ok) throw new Error(`undecodable event ${r.bad.seq}: ${r.bad.error}`);
      read++;
    }
    const readOnlyMs = performance.now() - r0;

    const built = await buildFresh(join(dir, "projections.db"), log);
    await nc.close();
    return {
      appends: [seq, con],
      rebuild: {
        events: built.events,
        ms: built.ms,
        perSec: (built.events / built.ms) * 1000,
        readOnlyMs,
        readOnlyPerSec: (read / readOnlyMs) * 1000,
      },
    };
  } finally {
    await stopNats();
    await removeDir();
  }
}
