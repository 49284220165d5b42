/**
 * cairn on Node 24, end to end: the real gateway and CLI run on the Node 24 binary that
 * `node infra/setup/ensure.mjs test` fetched (whatever Node runs the tests), with a real nats-server
 * and the scripted LLM server; one chat, then the run's events from the log and the session from
 * the SQLite read model (better-sqlite3 compiled for Node 24).
 */
import { readlinkSync, realpathSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type GatewayProc, jsonLines, startGatewayProc } from "../fixtures/gateway.ts";
import { type LlmServer, startLlmServer } from "../fixtures/llm-server/index.ts";
import { type Node24, node24 } from "../fixtures/node24/index.ts";

const n24 = node24();

function suite(n24: Node24): void {
  let llm: LlmServer;
  let gw: GatewayProc;
  beforeAll(async () => {
    llm = await startLlmServer();
    gw = await startGatewayProc({
      llmBaseUrl: llm.url,
      runtime: n24.runtime,
      // No CAIRN_EDGE_TRANSPORT: the edge picks node:http itself, as it will for a user on Node 24.
      extraEnv: n24.env,
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.dispose();
    await llm?.close();
  });

  test("the gateway process is the Node 24 binary, its edge served by node:http (uWS has no Node 24 build)", async () => {
    expect(readlinkSync(`/proc/${gw.child.pid}/exe`)).toBe(realpathSync(n24.runtime.node));
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", transport: "node" });
  });

  test("a chat streams the reply; its events are in the log and the session in the read model", async () => {
    llm.script({ chunks: ["Hello ", "from ", "Node 24."] });
    const chat = await gw.cli(["chat", "--session", "n24", "hi from 24"]);
    expect(chat.stderr).toBe("");
    expect(chat.code).toBe(0);
    expect(chat.stdout).toBe("Hello from Node 24.\n");

    const events = jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "session", "-n", "100"])).stdout);
    const mine = events.filter((e) => e.id === "n24");
    expect(mine.map((e) => e.type)).toEqual(["session.created", "session.user_message", "session.run_ended"]);
    expect(mine[1].data.text).toBe("hi from 24");

    const shown = await gw.cli(["sessions", "show", "n24", "--json"]);
    expect(shown.code).toBe(0);
    expect(jsonLines(shown.stdout)[0].session).toMatchObject({ key: "n24", title: "hi from 24", messageCount: 2, activeRunId: null });
  });
}

// Skipped only when setup did not prepare Node 24, and the run's output says why (the summary shows
// only a count); a gateway that fails to start on Node 24 is a failure.
if ("missing" in n24) {
  console.warn(`node24.smoke.test.ts skipped: ${n24.missing}`);
  describe.skip(`cairn on Node 24 (${n24.missing})`, () => test("runs", () => {}));
} else describe("cairn on Node 24", () => suite(n24));
