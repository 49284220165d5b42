/**
 * Managing chats against a running gateway: rename and pin over the WebSocket (another client sees
 * each change live), export through the WebSocket with the CLI's own export text, and
 * `cairn sessions rename|pin|unpin` from the terminal.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

const { llm, gw } = useGatewayWithLlm();

let ws: WsClient;
let watcher: WsClient;
const open = async (name: string) => {
  const c = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await c.request("connect", { protocol: 1, client: { name } })).toMatchObject({ ok: true });
  return c;
};
beforeAll(async () => {
  llm.script({ chunks: ["Lisbon has trams."] }, { chunks: ["Porto has port."] });
  for (const [key, q] of [
    ["trip", "Tell me about Lisbon"],
    ["other", "And Porto?"],
  ]) {
    const r = await gw.cli(["chat", "-s", key, q]);
    expect(r, r.stderr).toMatchObject({ code: 0 });
  }
  [ws, watcher] = await Promise.all([open("chats-test"), open("chats-watcher")]);
  expect(await watcher.request("sessions.subscribe", {})).toMatchObject({ ok: true });
});
afterAll(async () => {
  await Promise.allSettled([ws?.close(), watcher?.close()]);
});

const listed = async (c: WsClient) => (await c.request("sessions.list", {})).payload.sessions as Array<Record<string, unknown>>;
const changed = (c: WsClient) => c.waitFor((f) => f.type === "event" && f.event === "sessions" && f.payload?.type === "sessions.changed");

describe("chat management over the WebSocket", () => {
  test("rename and pin are recorded; another client is told and lists the pinned chat first, renamed", async () => {
    const told = changed(watcher);
    expect(await ws.request("sessions.rename", { sessionKey: "trip", title: "Lisbon trip" })).toMatchObject({
      ok: true,
      payload: { sessionKey: "trip", title: "Lisbon trip", changed: true },
    });
    await told;
    const toldAgain = changed(watcher);
    expect(await ws.request("sessions.pin", { sessionKey: "trip", pinned: true })).toMatchObject({
      ok: true,
      payload: { pinned: true, changed: true },
    });
    await toldAgain;
    const list = await listed(watcher);
    expect(list[0]).toMatchObject({ key: "trip", title: "Lisbon trip", pinned: true });
    expect(list.find((s) => s.key === "other")).toMatchObject({ pinned: false });
  });

  test("bad params get a typed error and change nothing", async () => {
    expect(await ws.request("sessions.rename", { sessionKey: "trip", title: "" })).toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
    expect(await ws.request("sessions.pin", { sessionKey: "trip", pinned: "yes" })).toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
    expect(await ws.request("sessions.pin", { sessionKey: "ghost", pinned: true })).toMatchObject({
      ok: false,
      error: { code: "session_not_found" },
    });
    expect((await listed(ws))[0]).toMatchObject({ key: "trip", title: "Lisbon trip" });
  });

  test("export gives the same markdown and JSON lines `cairn sessions export` writes", async () => {
    const md = await ws.request("sessions.export", { sessionKey: "trip", format: "markdown" });
    expect(md).toMatchObject({ ok: true, payload: { filename: "cairn-trip.md", mimeType: "text/markdown", format: "markdown" } });
    const text = md.payload.text as string;
    expect(text).toContain("Lisbon trip");
    expect(text).toContain("Tell me about Lisbon");
    expect(text).toContain("Lisbon has trams.");

    const jsonl = await ws.request("sessions.export", { sessionKey: "trip", format: "jsonl" });
    expect(jsonl).toMatchObject({ ok: true, payload: { filename: "cairn-trip.jsonl", format: "jsonl" } });
    const cli = await gw.cli(["sessions", "export", "trip", "--format", "jsonl"]);
    expect(cli.code, cli.stderr).toBe(0);
    // The same events in the same order (only the export's own time differs).
    const body = (t: string) => t.trim().split("\n").slice(1);
    expect(body(jsonl.payload.text)).toEqual(body(cli.stdout));
    expect(body(cli.stdout).some((l) => l.includes("session.pinned"))).toBe(true);

    expect(await ws.request("sessions.export", { sessionKey: "trip", format: "pdf" })).toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
    expect(await ws.request("sessions.export", { sessionKey: "ghost", format: "markdown" })).toMatchObject({
      ok: false,
      error: { code: "session_not_found" },
    });
  });
});

describe("cairn sessions rename | pin | unpin", () => {
  test("renames and pins from the terminal; --json gives the reply; list marks pinned chats", async () => {
    const r = await gw.cli(["sessions", "rename", "other", "Porto notes"]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'renamed other to "Porto notes"\n' });
    const again = await gw.cli(["sessions", "rename", "other", "Porto notes", "--json"]);
    expect(jsonLines(again.stdout)).toEqual([{ sessionKey: "other", title: "Porto notes", changed: false }]);

    expect((await gw.cli(["sessions", "pin", "other"])).stdout).toBe("pinned other\n");
    const table = await gw.cli(["sessions", "list"]);
    expect(table.stdout).toMatch(/^other\s.*\[pinned\] Porto notes$/m);
    expect((await gw.cli(["sessions", "unpin", "other", "--json"])).stdout).toContain('"pinned":false');

    const shown = jsonLines((await gw.cli(["sessions", "show", "other", "--json"])).stdout)[0];
    expect(shown.session).toMatchObject({ title: "Porto notes", pinned: false });
  });

  test("wrong command lines exit 2; an unknown session exits 1 with its code", async () => {
    expect((await gw.cli(["sessions", "rename", "other"])).code).toBe(2);
    expect((await gw.cli(["sessions", "rename", "other", "  "])).code).toBe(2);
    expect((await gw.cli(["sessions", "pin"])).code).toBe(2);
    const none = await gw.cli(["sessions", "rename", "ghost", "x"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/session_not_found/);
    expect((await gw.cli(["sessions", "--help"])).stdout).toMatch(/cairn sessions rename <key> <title>/);
  });
});
