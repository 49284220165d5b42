/**
 * The web UI on the edge's `node:http` + `ws` transport (what Node 22 and 24 run, forced here on
 * any Node): a long reply streams into a real browser token by token, two tabs of one session both
 * show it, and a tab reloaded mid-reply replays it from the start and ends with the whole text
 * exactly once.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  launchBrowser,
  messages,
  newChat,
  oneTab,
  openApp,
  settledReply,
  startAll,
  typeAndSend,
  until,
  waitForConnection,
  type Browser,
} from "./browser.helpers.ts";

const T = 90_000;
let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_EDGE_TRANSPORT: "node" } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

test(
  "a 300-token reply streams to two tabs of one session; a tab reloaded mid-reply replays it from its start and shows it once, whole",
  async () => {
    expect(await (await fetch(`${gw.url}/health`)).json()).toMatchObject({ transport: "node" });
    const CHUNKS = Array.from({ length: 300 }, (_, i) => `w${i} `);
    const REPLY = CHUNKS.join("").trimEnd();
    const a = await oneTab(browser);
    await openApp(a, gw.url);
    const key = await newChat(a);
    const b = await browser.newPage();
    await openApp(b, gw.url, `#/s/${key}`);

    llm.script({ chunks: CHUNKS, chunkDelayMs: 20 });
    await typeAndSend(a, "count to 300");
    // Mid-reply, tab b is reloaded: it subscribes again from the reply's start.
    await until(
      "part of the reply in tab b",
      () => messages(b),
      (ms) => ms.some((m) => m.role === "assistant" && m.status === "streaming" && m.text.length > 200),
    );
    await b.reload();
    await waitForConnection(b, ["connected"]);
    // Still streaming, and from its first word on: the replay of the stored tail, not only what
    // came after the reload (history alone would have none of it until the reply ended).
    const resumed = await until(
      "the reply streaming again in the reloaded tab",
      () => messages(b),
      (ms) => ms.some((m) => m.role === "assistant" && m.text.length >= 20),
    );
    expect(resumed.find((m) => m.role === "assistant")).toMatchObject({ status: "streaming", text: expect.stringMatching(/^w0 w1 w2 /) });
    const [ra, rb] = await Promise.all([settledReply(a), settledReply(b)]);
    const words = (t: string) => t.replace(/\s+/g, " ").trim();
    expect({ ...ra, text: words(ra.text) }).toEqual({ role: "assistant", status: "complete", text: REPLY });
    expect({ ...rb, text: words(rb.text) }).toEqual({ role: "assistant", status: "complete", text: REPLY });
    expect(browser.pageErrors).toEqual([]);
  },
  T,
);
