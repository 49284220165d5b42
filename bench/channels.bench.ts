/**
 * The channels' added latency, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/channels.bench.ts             # 30 Telegram messages, 30 API streams, 30 WS sends
 *   npx tsx bench/channels.bench.ts --n 100
 *
 * Against one real gateway with the scripted model (first chunk at once) and the scripted Bot API
 * server on loopback:
 *  - Telegram: an update queued on the Bot API server → the bot's first message in that chat (the
 *    "…" it streams into): long-poll wake-up, the update recorded in the log, the session's send.
 *  - OpenAI-compatible API: `POST /v1/chat/completions` with `stream: true` (the real `openai`
 *    SDK) → the first content chunk, against the WS path (`chat.send` → first `run.delta`) on the
 *    same gateway: the difference is what the API adds.
 * Prints a table, then one JSON line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import { startBotApiServer } from "../tests/fixtures/telegram/bot-api.server.ts";
import { connectWs } from "../tests/fixtures/ws-client.ts";
import { Cleanup, cleanUpOnAbort, round, summarize } from "./lib/util.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "30" } } });
const n = Number(values.n);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 10 * 60_000, (l) => process.stderr.write(`${l}\n`));

const llm = await startLlmServer();
cleanup.add("llm", () => llm.close());
const bot = await startBotApiServer();
cleanup.add("bot", () => bot.close());
const configDir = mkdtempSync(join(tmpdir(), "cairn-bench-channels-"));
writeFileSync(
  join(configDir, "cairn.toml"),
  `[channels.telegram]\nenabled = true\nallowed_users = ["@bench"]\napi_root = "${bot.url}"\npoll_timeout_secs = 20\n`,
);
const gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir, CAIRN_TELEGRAM_TOKEN: bot.token } });
cleanup.add("gateway", () => gw.dispose());
const ms = (xs: number[]) => {
  const s = summarize(xs);
  return { n: s.n, p50: round(s.p50), p90: round(s.p90), p99: round(s.p99) };
};

// Telegram: update → the bot's first message in the chat. Each message in its own chat (user).
const telegram: number[] = [];
for (let i = 0; i < n + 3; i++) {
  const user = 7000 + i;
  const t0 = performance.now();
  bot.userSays(user, "hi", { username: "bench" });
  await bot.until("the first message", () => bot.chat(user).length > 0, 30_000);
  if (i >= 3) telegram.push(performance.now() - t0); // the first few warm the paths
  await bot.until("the reply", () => bot.chat(user).some((m) => m.parseMode === "MarkdownV2"), 30_000);
}

// The API and the WS path: send → first chunk of text, alternating so load drifts fall on both.
const openai = new OpenAI({ apiKey: "sk-local", baseURL: `${gw.url}/v1`, maxRetries: 0 });
const ws = await connectWs(`${gw.url.replace(/^http/, "ws")}/ws`);
await ws.request("connect", { protocol: 1, client: { name: "bench" } });
await ws.request("sessions.create", { key: "bench-ws" });
await ws.request("chat.subscribe", { sessionKey: "bench-ws" });
const api: number[] = [];
const wsPath: number[] = [];
for (let i = 0; i < n + 3; i++) {
  let t0 = performance.now();
  const stream = await openai.chat.completions.create(
    { model: "cairn", stream: true, messages: [{ role: "user", content: "hi" }] },
    { headers: { "X-Cairn-Session": "bench-api" } },
  );
  let first = 0;
  for await (const c of stream) if (!first && c.choices[0]?.delta.content) first = performance.now() - t0;
  if (i >= 3) api.push(first);

  t0 = performance.now();
  ws.inbox.length = 0;
  const sent = await ws.request("chat.send", { sessionKey: "bench-ws", text: "hi" });
  if (!sent.ok) throw new Error(JSON.stringify(sent.error));
  await ws.waitFor((f) => f.type === "event" && f.payload?.type === "run.delta", 30_000);
  if (i >= 3) wsPath.push(performance.now() - t0);
  await ws.waitFor((f) => f.type === "event" && f.payload?.type === "run.ended", 30_000);
}
await ws.close();
await cleanup.runAll();

const rows = { telegram: ms(telegram), api: ms(api), ws: ms(wsPath) };
console.log(`Telegram update → first message in the chat   p50 ${rows.telegram.p50} ms  p90 ${rows.telegram.p90} ms  (n=${n})`);
console.log(`/v1/chat/completions stream → first chunk     p50 ${rows.api.p50} ms  p90 ${rows.api.p90} ms`);
console.log(`WS chat.send → first run.delta               p50 ${rows.ws.p50} ms  p90 ${rows.ws.p90} ms`);
console.log(`the API adds (p50)                           ${round(rows.api.p50 - rows.ws.p50)} ms`);
console.log(JSON.stringify(rows));
