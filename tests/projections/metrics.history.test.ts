/**
 * The metrics history (`metrics_*` tables, served as `q.metrics.history` / `q.metrics.session`) on
 * real parts: NATS, the log, the projector and the scripted LLM server. Chats, a tool call, a
 * failure and a second model move the per-minute figures; cost comes from the price table at
 * read time; a rebuild from the log gives the same rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SnapshotStore, request, subjects, type LogRecord } from "../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../actors/index.ts";
import { Projector, buildFresh, installRebuilt, metricsQueries, openDb, serveMetricsQueries, type Db } from "../../projections/index.ts";
import { metricsProjection } from "../../projections/metrics.projection.ts";
import type { MetricsHistory, SessionCost } from "../../schemas/index.ts";
import { startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
let sys: ActorSystem;
let root: string;
const prices = {
  "openai/test-model": { input: 1, output: 2 },
  "anthropic/claude-test": { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
};
beforeAll(async () => {
  s = await startStack();
  // The stack's own actor system offers no tools: one with the file tools replaces it.
  await s.actors.stop();
  root = mkdtempSync(join(tmpdir(), "cairn-metrics-"));
  sys = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots: await SnapshotStore.open(s.nc),
    model: {
      defaultModel: "openai/test-model",
      env: {
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: s.llm.openaiBaseUrl,
        ANTHROPIC_API_KEY: "sk-ant-test",
        ANTHROPIC_BASE_URL: s.llm.anthropicBaseUrl,
      },
      config: {},
    },
    agent: { workspaceRoot: root },
  });
  serveMetricsQueries(
    s.nc,
    metricsQueries(() => s.projector.db, { prices, retentionDays: 30, now: Date.now }),
  );
});
afterAll(async () => {
  await sys?.stop();
  await s?.stop();
  rmSync(root, { recursive: true, force: true });
});

const chat = async (key: string, text: string, extra: Record<string, unknown> = {}) => {
  const done = s.live(key, (m) => m.type === "run.ended");
  await request(s.nc, subjects.command("session", key, "send"), { text, createIfMissing: true, ...extra });
  await done;
};
const history = async (params: Record<string, unknown>) =>
  (await request(s.nc, subjects.query("metrics", "history"), params)) as MetricsHistory;
const sum = (a: readonly (number | null)[]) => a.reduce<number>((x, y) => x + (y ?? 0), 0);
const dump = (db: Db) =>
  Object.fromEntries(
    ["metrics_minutes", "metrics_latency", "metrics_hours", "metrics_latency_hours", "metrics_open_runs"].map((t) => [
      t,
      db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all(),
    ]),
  );

describe("metrics history: per-minute figures from the log", () => {
  beforeAll(async () => {
    s.llm.script(
      // 1: reading a file that is not there (an error result), then the answer: two model calls.
      {
        toolCalls: [{ name: "read_file", arguments: JSON.stringify({ path: "missing.txt" }) }],
        usage: { inputTokens: 100, outputTokens: 10 },
      },
      { chunks: ["done"], usage: { inputTokens: 150, outputTokens: 20 } },
      // 2: another provider, with cache reads and writes inside its input.
      { chunks: ["b"], usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 600, cacheWriteTokens: 200 } },
      // 3: a failure the provider will not retry.
      { error: { status: 400, message: "nope" } },
    );
    await chat("m1", "one");
    await chat("m1", "two", { model: "anthropic/claude-test" });
    await chat("m2", "three");
    await s.projector.waitFor(await s.log.lastSeq());
  });

  test("runs, model calls, tokens, tools and errors add up per model; cost is tokens × price", async () => {
    const h = await history({ range: "1h", step: "5m" });
    expect(h.step).toBe(300_000);
    expect(h.t.length).toBe(h.runs.started.length);
    expect(h.totals).toMatchObject({
      runs: 3,
      failedRuns: 1,
      llmCalls: 3,
      llmErrors: 1,
      toolCalls: 1,
      toolErrors: 1,
      inputTokens: 1250,
      outputTokens: 130,
    });
    const openai = h.models.find((m) => m.model === "openai/test-model")!;
    const anthropic = h.models.find((m) => m.model === "anthropic/claude-test")!;
    expect(openai.provider).toBe("openai");
    expect(sum(openai.inputTokens)).toBe(250);
    expect(sum(openai.calls)).toBe(2);
    expect(sum(anthropic.cacheTokens)).toBe(800);
    // openai: 250 in × $1 + 30 out × $2 per million; anthropic: 200 fresh × 3 + 100 × 15 + 600 × 0.3 + 200 × 3.75.
    expect(sum(openai.cost)).toBeCloseTo((250 * 1 + 30 * 2) / 1e6, 12);
    expect(sum(anthropic.cost)).toBeCloseTo((200 * 3 + 100 * 15 + 600 * 0.3 + 200 * 3.75) / 1e6, 12);
    expect(h.totals.cost).toBeCloseTo(sum(openai.cost) + sum(anthropic.cost), 12);
    // Every answered call has a latency; the percentiles come from its buckets.
    const at = h.llm.calls.findIndex((n) => n > 0);
    expect(h.llm.avgMs[at]).not.toBeNull();
    expect(h.llm.p95Ms[at]).toBeGreaterThanOrEqual(h.llm.p50Ms[at] ?? 0);
  });

  test("a model without a price has no cost, and the total says it is unknown", async () => {
    const q = metricsQueries(() => s.projector.db, {
      prices: { "openai/test-model": { input: 1, output: 2 } },
      retentionDays: 30,
      now: Date.now,
    });
    const h = q.history({ range: "1h" });
    expect(h.models.find((m) => m.model === "anthropic/claude-test")?.priced).toBe(false);
    expect(h.totals.cost).toBeNull();
  });

  test("a session's cost by model", async () => {
    const c = (await request(s.nc, subjects.query("metrics", "session"), { session: "m1" })) as SessionCost;
    expect(c.models.map((m) => m.model)).toEqual(["anthropic/claude-test", "openai/test-model"]);
    expect(c.cost).toBeCloseTo((250 * 1 + 30 * 2 + 200 * 3 + 100 * 15 + 600 * 0.3 + 200 * 3.75) / 1e6, 12);
  });

  test("bad parameters are refused with bad_request", async () => {
    await expect(history({ range: "forever" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(history({ step: "0m" })).rejects.toMatchObject({ code: "bad_request" });
  });

  test("hourly steps read the hourly rollup and agree with the minutes", async () => {
    const byMinute = await history({ range: "24h", step: "1m" });
    const byHour = await history({ range: "24h", step: "1h" });
    expect(byHour.step).toBe(3_600_000);
    expect(byHour.from % 3_600_000).toBe(0);
    expect(byHour.totals).toEqual(byMinute.totals);
    const hourRows = s.projector.db.prepare("SELECT SUM(llm_calls) FROM metrics_hours").pluck().get();
    expect(hourRows).toBe(3);
  });

  test("a 30-day window is bounded in buckets; the window never reaches past the retention", async () => {
    const h = await history({ range: "90d", step: "1m" });
    expect(h.t.length).toBeLessThanOrEqual(1_500);
    expect(h.to - h.from).toBeLessThanOrEqual(30 * 86_400_000 + h.step);
    expect(h.totals.runs).toBe(3);
  });

  test("rebuilding from the log gives the same rows", async () => {
    const before = dump(s.projector.db);
    expect(before.metrics_minutes.length).toBeGreaterThan(0);
    const file = join(s.dir, "metrics-fresh.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    expect(dump(db)).toEqual(before);
    db.close();
    rmSync(file, { force: true });
  });
});

describe("a commit that fails", () => {
  test("is applied again in full after the failure, never counted twice", async () => {
    const file = join(s.dir, "metrics-failing.db");
    const db = openDb(file).db;
    const p = new Projector(db, { log: s.log });
    const last = await s.log.lastSeq();
    await s.projector.waitFor(last);
    // The audit row of the last event cannot be written once: its whole batch rolls back, after
    // the metrics had gathered that batch's runs.
    db.exec(`CREATE TRIGGER fail_once BEFORE INSERT ON audit WHEN NEW.seq = ${last} BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`);
    await expect(p.catchUp(last)).rejects.toThrow("disk trouble");
    db.exec("DROP TRIGGER fail_once");
    await p.catchUp(last);
    expect(p.checkpoint).toBe(last);
    expect(dump(db)).toEqual(dump(s.projector.db));
    db.close();
    rmSync(file, { force: true });
  });
});

describe("retention", () => {
  test("minutes older than the retention are dropped by event time, the same live and rebuilt", async () => {
    const day = 86_400_000;
    const file = join(s.dir, "retention.db");
    const db = openDb(file).db;
    const apply = metricsProjection(2).bind(db);
    const t0 = Date.UTC(2026, 0, 1);
    let seq = 0;
    const ev = (runId: string, type: string, time: number, data: Record<string, unknown>) => {
      const r = { ok: true, pending: 0, event: { seq: ++seq, kind: "run", aggregateId: runId, type, time, data } } as unknown as LogRecord;
      apply(r, { sessions: new Set(), sessionList: false });
    };
    // Each run is a committed batch of its own.
    const run = (id: string, at: number) => {
      ev(id, "run.started", at, { runId: id, sessionKey: "r", model: "openai/x", triggerMessageId: "m" });
      ev(id, "run.completed", at + 1_200, { text: "", usage: { inputTokens: 5, outputTokens: 1 }, finishReason: "stop" });
      apply.flush?.();
    };
    run("a", t0);
    run("b", t0 + day);
    const minutes = () => db.prepare("SELECT minute FROM metrics_minutes ORDER BY minute").pluck().all();
    expect(minutes()).toEqual([t0, t0 + day]);
    run("c", t0 + 2 * day + 60_000);
    // Day 0 is now more than two days before the latest event: gone; day 1 and day 2 stay.
    expect(minutes()).toEqual([t0 + day, t0 + 2 * day + 60_000]);
    const latency = db.prepare("SELECT minute, bucket, count FROM metrics_latency ORDER BY minute").all();
    expect(latency).toEqual([
      { minute: t0 + day, bucket: 3, count: 1 },
      { minute: t0 + 2 * day + 60_000, bucket: 3, count: 1 },
    ]);
    db.close();
  });
});
