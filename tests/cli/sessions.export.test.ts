/**
 * `cairn sessions export | import` on real parts: a session recorded by a real actor system (with a
 * tool call and its approval) is exported from one log and imported into another gateway's log
 * (its own nats-server); there it folds to the same session, and its export round-trips. A file
 * altered after the export, one cut short, one with an event that fails its schema, or a session
 * key that exists are refused with typed errors, writing nothing; an import stopped midway is
 * finished by running it again.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { approvalIdFor } from "../../actors/approval/index.ts";
import { EventLog, ensureStreams, importEvents, parseEventsExport, renewIds, request, subjects, chainHash } from "../../bus/index.ts";
import { loadSessionEvents, sessionAt } from "../../projections/index.ts";
import type { LiveSessionMessage } from "../../schemas/index.ts";
import { importSessionText, sessionExportText } from "../../cli/session.transfer.ts";
import { chatUntilEnded } from "../fixtures/stack.ts";
import { useAgentSystems } from "../fixtures/agent-system.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

const ctx = useAgentSystems("cairn-export-");
const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

let other: { nats: TestNats; nc: NatsConnection; log: EventLog };
let exported = "";
beforeAll(async () => {
  const nats = await startTestNats();
  const nc = await nats.connect();
  await ensureStreams(nc);
  other = { nats, nc, log: await EventLog.open(nc) };

  await ctx.start({ workspaceRoot: ctx.root, exec: { sandbox: "bubblewrap" } });
  ctx.s.llm.script({ chunks: ["hello"] }, { toolCalls: [exec("call_x", "touch x.txt")] }, { chunks: ["done"] });
  await chatUntilEnded(ctx.s.nc, "ex-1", "hi");
  await chatUntilEnded(ctx.s.nc, "ex-1", "make x", {
    onLive: (m: LiveSessionMessage) => {
      if (m.type === "run.approval" && m.status === "pending")
        void request(ctx.s.nc, subjects.command("approval", m.approvalId, "approve"), { by: "test" });
    },
  });
  exported = await sessionExportText(ctx.s.log, "ex-1", "jsonl", 1_700_000_000_000);
}, 120_000);
afterAll(async () => {
  await other?.nc.close();
  await other?.nats.stop();
});

/** What a session looks like, without what differs between two logs (sequences). */
const view = async (log: EventLog, key: string) => {
  const at = sessionAt(await loadSessionEvents(log, key, approvalIdFor), { seq: Number.MAX_SAFE_INTEGER });
  return {
    session: { ...at.session, key: "" },
    messages: at.messages,
    toolCalls: at.toolCalls,
    approvals: at.approvals.map((a) => ({ ...a, sessionKey: "" })),
  };
};
/** Run and approval ids differ between a session and its imported copy; the rest is the same. */
const strip = (v: Awaited<ReturnType<typeof view>>) => ({
  ...v,
  session: { ...v.session, activeRunId: null },
  messages: v.messages.map((m) => ({ ...m, runId: m.runId ? "r" : null })),
  toolCalls: v.toolCalls.map((c) => ({ ...c, runId: "r", approvalId: c.approvalId ? "a" : null })),
  approvals: v.approvals.map((a) => ({ ...a, id: "a", runId: "r" })),
});
const lines = (text: string) => text.trimEnd().split("\n");
/** The export's events without what an import renews (ids, sequences, chain values). */
const essence = (text: string) => parseEventsExport(text).events.map((e) => [e.type, e.time, e.actor, JSON.stringify(e.data)]);

describe("sessions export and import", () => {
  test("jsonl export → import into another gateway → the same session; its export round-trips", async () => {
    const head = JSON.parse(lines(exported)[0]);
    expect(head).toMatchObject({ format: "cairn.events", version: 1, sessionKey: "ex-1" });
    const types = parseEventsExport(exported).events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["session.user_message", "run.tool_finished", "approval.granted"]));

    const r = await importSessionText(other.log, exported);
    expect(r).toMatchObject({ sessionKey: "ex-1", events: head.events, resumed: 0 });
    expect(strip(await view(other.log, "ex-1"))).toEqual(strip(await view(ctx.s.log, "ex-1")));

    const again = await sessionExportText(other.log, "ex-1", "jsonl", 1_700_000_000_000);
    // What the import planned (renewed ids) is what the other log now holds, event for event.
    const planned = renewIds(parseEventsExport(exported).events, { from: "ex-1", to: "ex-1", approvalIdOf: approvalIdFor });
    expect(essence(again)).toEqual(planned.map((e) => [e.type, e.time, e.actor, JSON.stringify(e.data)]));
    // New ids, provenance kept: who did each thing is the same, the ids are the importer's.
    const a = parseEventsExport(exported).events;
    const b = parseEventsExport(again).events;
    expect(b.map((e) => e.actor)).toEqual(a.map((e) => e.actor));
    expect(b.some((e, i) => e.id === a[i].id)).toBe(false);
    // A causation that named an exported event names its imported copy.
    const newIdOf = new Map(a.map((e, i) => [e.id, b[i].id]));
    for (const [i, e] of a.entries())
      if (e.causationId && newIdOf.has(e.causationId)) expect(b[i].causationId).toBe(newIdOf.get(e.causationId));
  });

  test("markdown: the transcript a person reads", async () => {
    const md = await sessionExportText(ctx.s.log, "ex-1", "markdown", 1_700_000_000_000);
    expect(md).toMatch(/^# /);
    expect(md).toContain("## User");
    expect(md).toContain("make x");
    expect(md).toContain("done");
  });

  test("the same import again changes nothing; another session's key is a conflict; --as imports a copy", async () => {
    const before = await other.log.lastSeq();
    expect(await importSessionText(other.log, exported)).toMatchObject({ events: 0, resumed: parseEventsExport(exported).events.length });
    expect(await other.log.lastSeq()).toBe(before);
    // Back into the log it came from: "ex-1" there is a session of its own (other ids).
    const source = await ctx.s.log.lastSeq();
    await expect(importSessionText(ctx.s.log, exported)).rejects.toMatchObject({ code: "conflict" });
    expect(await ctx.s.log.lastSeq()).toBe(source);
    const r = await importSessionText(other.log, exported, "ex-copy");
    expect(r.sessionKey).toBe("ex-copy");
    // Next to its original: runs and approvals got ids of their own, so both stay whole.
    expect(strip(await view(other.log, "ex-copy"))).toEqual(strip(await view(ctx.s.log, "ex-1")));
    expect(strip(await view(other.log, "ex-1"))).toEqual(strip(await view(ctx.s.log, "ex-1")));
  });

  test("an altered, cut or schema-breaking file is refused, naming the line; nothing is written", async () => {
    const before = await other.log.lastSeq();
    const ls = lines(exported);
    // Altered: a user's words changed after the export.
    const altered = ls.map((l) => l.replace('\\"text\\":\\"make x\\"', '\\"text\\":\\"make y\\"'));
    expect(altered).not.toEqual(ls);
    await expect(importSessionText(other.log, `${altered.join("\n")}\n`, "ex-alt")).rejects.toMatchObject({
      code: "bad_request",
      details: { problem: "chain" },
    });
    // Cut short: the header's count no longer matches.
    await expect(importSessionText(other.log, `${ls.slice(0, -2).join("\n")}\n`, "ex-cut")).rejects.toMatchObject({
      code: "bad_request",
      details: { problem: "format" },
    });
    // An event line dropped and the header's count "fixed": its aggregate's chain breaks.
    const head = { ...JSON.parse(ls[0]), events: ls.length - 2 };
    const dropped = [JSON.stringify(head), ...ls.slice(1, 3), ...ls.slice(4)];
    await expect(importSessionText(other.log, `${dropped.join("\n")}\n`, "ex-drop")).rejects.toMatchObject({
      details: { problem: "chain" },
    });
    // Well chained but not a valid event: the schema check catches what a forger re-chains.
    const first = JSON.parse(ls[1]);
    const data = JSON.stringify({ ...JSON.parse(first.data), bogus: 1, title: 42 });
    const h = (n: string) => first.headers[n] ?? "";
    const forged = { ...first, data, headers: { ...first.headers, "Cairn-Chain": chainHash("", first.subject, h, data) } };
    const bad = [ls[0], JSON.stringify(forged), ...ls.slice(2)];
    await expect(importSessionText(other.log, `${bad.join("\n")}\n`, "ex-bad")).rejects.toMatchObject({
      details: { line: 2, problem: "schema" },
    });
    await expect(importSessionText(other.log, "not json\n", "ex-x")).rejects.toMatchObject({ code: "bad_request", details: { line: 1 } });
    expect(await other.log.lastSeq()).toBe(before);
  });

  test("an import stopped midway is finished by running it again, without duplicates", async () => {
    const { events } = parseEventsExport(exported);
    const renamed = renewIds(events, { from: "ex-1", to: "ex-resume", approvalIdOf: approvalIdFor });
    const part = await importEvents(other.log, { sessionKey: "ex-resume", events: renamed.slice(0, 5) });
    expect(part.events).toBe(5);
    const r = await importSessionText(other.log, exported, "ex-resume");
    expect(r).toMatchObject({ resumed: 5, events: events.length - 5 });
    expect(strip(await view(other.log, "ex-resume"))).toEqual(strip(await view(ctx.s.log, "ex-1")));
  });
});
