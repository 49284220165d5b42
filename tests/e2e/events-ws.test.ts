/**
 * The events explorer's WebSocket methods against a real gateway process (real nats-server, real
 * SQLite) and the scripted LLM: listing a chat's events by session, run, call and type; an event's
 * causation tree; the live tick; and `sessions.at`, the chat as it was at each of its events.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { connectWs, type Frame, type WsClient } from "../fixtures/ws-client.ts";
import type { EventChainResult, EventNode, EventRow, SessionAtView } from "../../schemas/index.ts";

let llm: LlmServer;
let gw: GatewayProc;
let ws: WsClient;
let configDir: string;

const ok = async <T>(method: string, params: unknown = {}): Promise<T> => {
  const res = await ws.request(method, params);
  if (!res.ok) throw new Error(`${method} failed: ${JSON.stringify(res.error)}\n${gw.output().slice(-3000)}`);
  return res.payload as T;
};

const list = async (params: Record<string, unknown>) => (await ok<{ events: EventRow[] }>("events.list", params)).events;

/** Waits (on the read models, not on time) until `pred` holds for the listed events. */
const listUntil = async (params: Record<string, unknown>, pred: (es: EventRow[]) => boolean): Promise<EventRow[]> => {
  for (;;) {
    const es = await list(params);
    if (pred(es)) return es;
    await ws.waitFor((f: Frame) => f.type === "event" && f.event === "events", 30_000);
  }
};

const flatten = (n: EventNode): EventRow[] => [n.event, ...n.children.flatMap(flatten)];

beforeAll(async () => {
  llm = await startLlmServer();
  configDir = mkdtempSync(join(tmpdir(), "cairn-events-ws-"));
  // Retention on (nothing is old enough to be due): the gateway runs its timer, `log status` shows it.
  writeFileSync(join(configDir, "cairn.toml"), ["[log]", 'max_age = "30d"', "archive_check_s = 1", ""].join("\n"));
  gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir } });
  ws = await connectWs(`${gw.url.replace(/^http/, "ws")}/ws`);
  await ok("connect", { protocol: 1, client: { name: "events-test" } });
}, 120_000);

afterAll(async () => {
  ws?.destroy();
  await Promise.allSettled([gw?.dispose(), llm?.close()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

describe("events over the WebSocket", () => {
  const key = "events-ws";
  let toolRow: EventRow;

  test("a chat's events: by session, run, tool call and type; newest last", { timeout: 90_000 }, async () => {
    await ok("events.subscribe");
    await ok("sessions.create", { key });
    llm.script(
      { chunks: ["Writing."], toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "a.md", content: "x\n" }) }] },
      { chunks: ["Done."] },
    );
    await ok("chat.send", { sessionKey: key, text: "write a file" });
    const all = await listUntil({ sessionKey: key }, (es) => es.some((e) => e.type === "session.run_ended"));
    const types = all.map((e) => e.type);
    expect(types[0]).toBe("session.created");
    expect(types).toContain("session.user_message");
    expect(types).toContain("run.started");
    expect(types).toContain("run.tool_call_requested");
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));
    expect(all.every((e) => e.sessionKey === key)).toBe(true);

    const requested = all.find((e) => e.type === "run.tool_call_requested");
    if (!requested?.runId || !requested.callId) throw new Error("the tool request names no run or call");
    toolRow = requested;
    const byRun = await list({ runId: requested.runId });
    expect(byRun.length).toBeGreaterThan(2);
    expect(byRun.every((e) => e.runId === requested.runId)).toBe(true);
    const byCall = await list({ runId: requested.runId, callId: requested.callId });
    expect(byCall.map((e) => e.type)).toContain("run.tool_call_requested");
    expect(byCall.every((e) => e.callId === requested.callId)).toBe(true);
    const tools = await list({ sessionKey: key, type: "run.tool_" });
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((e) => e.type.startsWith("run.tool_"))).toBe(true);

    // Following: after a point, only what is newer, oldest first; the newest N without a point.
    const after = await list({ sessionKey: key, afterSeq: all[1].seq, limit: 2 });
    expect(after.map((e) => e.seq)).toEqual(all.slice(2, 4).map((e) => e.seq));
    expect((await list({ sessionKey: key, limit: 1 })).map((e) => e.seq)).toEqual([all.at(-1)?.seq]);
  });

  test("an event's chain: its data, its causes up to the user's message, and the tree under it", async () => {
    const chain = await ok<EventChainResult>("events.chain", { seq: toolRow.seq });
    expect(chain.event.eventId).toBe(toolRow.eventId);
    expect(chain.body).toMatchObject({ type: "run.tool_call_requested", seq: toolRow.seq, data: { callId: toolRow.callId } });
    const tree = flatten(chain.tree);
    expect(tree.map((e) => e.eventId)).toContain(toolRow.eventId);
    // The root is the start of the work: nothing before it in the chain has a cause recorded.
    expect(chain.tree.event.eventId).toBe((chain.ancestors[0] ?? chain.event).eventId);
    for (const a of chain.ancestors.slice(1)) expect(tree.some((e) => e.eventId === a.eventId)).toBe(true);
  });

  test("the live tick comes after each new event is applied", { timeout: 60_000 }, async () => {
    const before = await list({ sessionKey: key, limit: 1 });
    llm.script({ chunks: ["Again."] });
    const tick = ws.waitFor((f: Frame) => f.type === "event" && f.event === "events" && f.payload.checkpoint > (before[0]?.seq ?? 0));
    await ok("chat.send", { sessionKey: key, text: "again" });
    expect((await tick).payload.type).toBe("events.appended");
    const newer = await listUntil({ sessionKey: key, afterSeq: before[0].seq }, (es) => es.some((e) => e.type === "session.run_ended"));
    expect(newer[0].type).toBe("session.user_message");
  });

  test("sessions.at: the chat as it was at each of its events, and live at the end", { timeout: 60_000 }, async () => {
    const live = await ok<SessionAtView>("sessions.at", { sessionKey: key });
    expect(live.stops.length).toBe(live.total);
    expect(live.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    let last = -1;
    for (const seq of live.stops) {
      const at = await ok<SessionAtView>("sessions.at", { sessionKey: key, seq });
      expect(at.seq).toBe(seq);
      expect(at.messages.length).toBeGreaterThanOrEqual(last);
      last = at.messages.length;
    }
    const first = await ok<SessionAtView>("sessions.at", { sessionKey: key, seq: live.stops[0] });
    expect(first.messages).toEqual([]);
    expect(first.session?.key).toBe(key);
    const userOnly = await ok<SessionAtView>("sessions.at", { sessionKey: key, seq: toolRow.seq - 1 });
    expect(userOnly.messages.map((m) => m.role)).toContain("user");
  });

  test("bad input is a typed error", async () => {
    expect(await ws.request("events.list", { type: "Robert'); DROP" })).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(await ws.request("events.chain", { seq: 99_999_999 })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await ws.request("sessions.at", { sessionKey: "never-was" })).toMatchObject({ ok: false, error: { code: "session_not_found" } });
  });

  test("cairn log status: the log's extent, no archives yet, the retention limits from [log]", async () => {
    const r = await gw.cli(["log", "status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status).toMatchObject({
      archives: { files: 0 },
      retention: { maxAgeMs: 30 * 86_400_000, checkMs: 1000 },
      lastArchive: null,
      mode: "gateway",
    });
    expect(status.log.lastSeq).toBeGreaterThan(10);
    const text = (await gw.cli(["log", "status"])).stdout;
    expect(text).toContain("never archived");
    expect(text).toContain("owner of partition 0");
  });
});
