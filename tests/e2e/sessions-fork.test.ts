import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { request, subjects } from "../../bus/index.ts";
import { connectToGateway } from "../../cli/connect.ts";
import { resolvePaths } from "../../cli/paths.ts";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

const { llm, gw } = useGatewayWithLlm();

let nc: NatsConnection;
let ws: WsClient;
beforeAll(async () => {
  llm.script({ chunks: ["answer one"] }, { chunks: ["answer two"] });
  for (const q of ["question one", "question two"]) {
    const r = await gw.cli(["chat", "-s", "main", q]);
    expect(r, r.stderr).toMatchObject({ code: 0 });
  }
  nc = await connectToGateway(resolvePaths(gw.env));
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "fork-test" } })).toMatchObject({ ok: true });
});
afterAll(async () => {
  await ws?.close();
  await nc?.close();
});

describe("sessions.fork, delete and setSandbox against a running gateway", () => {
  test("over the WebSocket: the edge mints the fork's key; its history holds the copied messages", async () => {
    const res = await ws.request("sessions.fork", { sessionKey: "main", messageIndex: 2, label: "plan B" });
    expect(res).toMatchObject({
      ok: true,
      payload: { parentKey: "main", forkPoint: 2, sessionKey: expect.stringMatching(/^s-[0-9a-z]{10}$/) },
    });
    const key = res.payload.sessionKey as string;
    const history = await ws.request("chat.history", { sessionKey: key });
    expect(history).toMatchObject({
      ok: true,
      payload: { session: { key, parentKey: "main", forkPoint: 2, label: "plan B", title: "plan B" } },
    });
    expect(history.payload.messages.map((m: { text: string }) => m.text)).toEqual(["question one", "answer one"]);

    expect(await ws.request("sessions.setSandbox", { sessionKey: key, sandbox: "none" })).toMatchObject({
      ok: true,
      payload: { sandbox: "none" },
    });
    const after = await ws.request("chat.history", { sessionKey: key });
    expect(after.payload.session.sandbox).toBe("none");
    expect(await ws.request("sessions.fork", { sessionKey: "main", messageIndex: 7 })).toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
  });

  test("over NATS as the edge sends it: a retried request with the same forkKey returns the same fork", async () => {
    const ask = () => request(nc, subjects.command("session", "main", "fork"), { forkKey: "retry-fork", messageIndex: 4 });
    const first = await ask();
    expect(first).toEqual({ sessionKey: "retry-fork", parentKey: "main", forkPoint: 4 });
    expect(await ask()).toEqual(first);
    const list = jsonLines((await gw.cli(["sessions", "list", "--json"])).stdout);
    expect(list.filter((s) => s.key === "retry-fork")).toHaveLength(1);
  });

  test("cairn sessions fork: prints the new key (--json the result); a bad index exits 2 naming the count", async () => {
    const j = await gw.cli(["sessions", "fork", "main", "--at", "2", "--label", "cli fork", "--json"]);
    expect(j.stderr).toBe("");
    expect(j.code).toBe(0);
    const [r] = jsonLines(j.stdout);
    expect(r).toMatchObject({ parentKey: "main", forkPoint: 2, sessionKey: expect.stringMatching(/^s-/) });

    const text = await gw.cli(["sessions", "fork", "main"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^forked main at message 4 into s-[0-9a-z]{10}$/m);

    const bad = await gw.cli(["sessions", "fork", "main", "--at", "99"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has 4 finished message\(s\).*\[bad_request\]/);
    expect((await gw.cli(["sessions", "fork", "main", "--at", "-1"])).code).toBe(2);
    expect((await gw.cli(["sessions", "fork"])).code).toBe(2);
    const missing = await gw.cli(["sessions", "fork", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[session_not_found\]/);
    const help = await gw.cli(["sessions", "fork", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/cairn sessions fork <key> \[--at <n>\] \[--label <text>\]/);
  });

  test("cairn sessions list shows forks indented under their parent with fork@N", async () => {
    // A fork of a fork nests one level deeper.
    await request(nc, subjects.command("session", "retry-fork", "fork"), { forkKey: "nested", messageIndex: 1, label: "deeper" });
    const r = await gw.cli(["sessions", "list"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^KEY\s+UPDATED\s+MSGS\s+MODEL\s+TITLE$/);
    const main = lines.findIndex((l) => l.startsWith("main "));
    expect(main).toBeGreaterThan(0);
    // Every fork of main follows it, indented, before the next top-level session.
    const children = lines.slice(main + 1).filter((l) => /^ *└ /.test(l));
    expect(children).toHaveLength(5);
    expect(lines.slice(main + 1, main + 1 + children.length)).toEqual(children);
    const retry = lines.findIndex((l) => /^└ retry-fork\s.*\s4\s.*fork@4 /.test(l));
    expect(retry).toBeGreaterThan(main);
    expect(lines[retry + 1]).toMatch(/^ {2}└ nested\s.*\s1\s.*fork@1 deeper$/);
    expect(r.stdout).toMatch(/^└ s-\S+\s.*fork@2 cli fork$/m);
  });

  test("cairn sessions delete: the parent leaves the list, its forks stay at the top level; twice is not an error", async () => {
    const d = await gw.cli(["sessions", "delete", "main"]);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(d.stdout).toBe("deleted session main\n");
    const again = await gw.cli(["sessions", "delete", "main", "--json"]);
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout)[0]).toEqual({ sessionKey: "main", deleted: true, alreadyDeleted: true });

    const show = await gw.cli(["sessions", "show", "main"]);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/\[session_not_found\]/);
    const send = await gw.cli(["chat", "-s", "main", "are you there?"]);
    expect(send.code).toBe(1);
    expect(send.stderr).toMatch(/session 'main' was deleted.*\[session_not_found\]/);

    const list = await gw.cli(["sessions", "list"]);
    expect(list.stdout).not.toMatch(/^main\s/m);
    expect(list.stdout).toMatch(/^retry-fork\s.*fork@4 /m);
    expect(list.stdout).toMatch(/^└ nested\s/m);
    const shown = jsonLines((await gw.cli(["sessions", "show", "retry-fork", "--json"])).stdout)[0];
    expect(shown.session).toMatchObject({ parentKey: "main", forkPoint: 4, messageCount: 4 });
    const text = await gw.cli(["sessions", "show", "retry-fork"]);
    expect(text.stdout).toMatch(/^fork of\s+main at message 4$/m);

    // The fork answers on its own, with the copied history sent to the model.
    llm.script({ chunks: ["still here"] });
    const chat = await gw.cli(["chat", "-s", "retry-fork", "and now?"]);
    expect(chat.code).toBe(0);
    expect(chat.stdout).toBe("still here\n");
    expect(
      llm.requests
        .at(-1)!
        .body.messages.map((m: { content: string }) => m.content)
        .slice(-5),
    ).toEqual(["question one", "answer one", "question two", "answer two", "and now?"]);
  });
});
