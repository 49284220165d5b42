/**
 * The web UI's speed in a real browser (Debian's chromium), run by hand; figures are reported, not
 * asserted. Needs `npm run build:ui` first.
 *
 *   npx tsx bench/ui.bench.ts                 # loads ×5 per profile, 5,000 streamed tokens
 *   npx tsx bench/ui.bench.ts --loads 3 --tokens 2000 --history 20
 *   npx tsx bench/ui.bench.ts --stream-only    # only the streaming figures
 *
 * Against one real gateway with the scripted model:
 *  - the critical path: the brotli bytes of what index.html names (the entry script, its preloads,
 *    the stylesheet) — everything else is a lazy chunk;
 *  - bytes over the wire for a first load (fresh profile: no cache, no service worker), as the
 *    browser counted them (`encodedDataLength`: compressed bodies + headers), and decoded;
 *  - first contentful paint, "typeable" (the composer mounted and enabled) and time to
 *    interactive (the socket connected too, so Enter sends), on the desktop (no throttling) and on
 *    phone profiles (CDP, 4× CPU slowdown): Lighthouse's mobile (150 ms RTT, 1.6 Mbps down,
 *    750 kbps up), DevTools'/puppeteer's "Slow 3G" (2,000 ms request latency, 400 kbps) and CPU
 *    alone; for a first visit and a repeat visit, which the service worker answers from its cache
 *    (the shell and hashed assets: no network round trip before the first paint);
 *  - frame times while a reply of N tokens streams into a long chat (rAF intervals in the page).
 * Prints a table, then one JSON line.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { brotliCompressSync } from "node:zlib";
import type { CDPSession, Page } from "playwright-core";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import { launchBrowser, newChat, openApp, settledReply, typeAndSend, until, type Browser } from "../tests/e2e/browser.helpers.ts";
import { Cleanup, cleanUpOnAbort, round, summarize } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    loads: { type: "string", default: "5" },
    tokens: { type: "string", default: "5000" },
    history: { type: "string", default: "30" },
    "stream-only": { type: "boolean", default: false },
  },
});
const loads = Number(values.loads);
const tokens = Number(values.tokens);
const historyTurns = Number(values.history);
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 20 * 60_000, (l) => process.stderr.write(`${l}\n`));
const log = (l: string) => process.stderr.write(`${l}\n`);

/** The brotli bytes of what index.html names: the first load's critical path. */
function criticalPath(): { files: Record<string, number>; brotliBytes: number } {
  const dist = fileURLToPath(new URL("../ui/dist/", import.meta.url));
  const html = readFileSync(join(dist, "index.html"));
  const named = [...html.toString().matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  const files: Record<string, number> = { "index.html": brotliCompressSync(html).length };
  // Files too small to be worth compressing have no .br copy: they are served as they are.
  for (const f of named) files[f] = statSync(join(dist, existsSync(join(dist, `${f}.br`)) ? `${f}.br` : f)).size;
  return { files, brotliBytes: Object.values(files).reduce((a, b) => a + b, 0) };
}
const critical = criticalPath();
log(
  `critical path: ${(critical.brotliBytes / 1024).toFixed(1)} KiB brotli (${Object.entries(critical.files)
    .map(([f, n]) => `${f} ${n}`)
    .join(", ")})`,
);

const llm = await startLlmServer();
cleanup.add("llm", () => llm.close());
const gw = await startGatewayProc({ llmBaseUrl: llm.url });
cleanup.add("gateway", () => gw.dispose());

/**
 * puppeteer's PredefinedNetworkConditions["Slow 3G"] (DevTools' preset; throughput in bytes per
 * second): 400 ms × 5 = 2,000 ms per request, so no first visit can be interactive in 1 s on it.
 */
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: ((500 * 1000) / 8) * 0.8, uploadThroughput: ((500 * 1000) / 8) * 0.8 };
/** Lighthouse's mobile profile as the prompt of issue 20 states it: 150 ms RTT, 1.6 Mbps down, 750 kbps up. */
const LIGHTHOUSE_MOBILE = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
type Profile = { name: string; cpu: number; network: typeof SLOW_3G | null; viewport: { width: number; height: number } };
const PHONE = { width: 390, height: 844 };
const PROFILES: Profile[] = [
  { name: "desktop", cpu: 1, network: null, viewport: { width: 1200, height: 800 } },
  { name: "phone (4× CPU, Lighthouse mobile)", cpu: 4, network: LIGHTHOUSE_MOBILE, viewport: PHONE },
  { name: "phone (4× CPU, Slow 3G)", cpu: 4, network: SLOW_3G, viewport: PHONE },
  { name: "phone (4× CPU, no net)", cpu: 4, network: null, viewport: PHONE },
];

// Records, in the page, when the composer could be typed into (the app is mounted) and when the
// chat became usable: the socket connected and the composer enabled, so Enter sends.
const TTI_PROBE = `(() => {
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (e.name === "first-contentful-paint") window.__cairnFcp = e.startTime;
  }).observe({ type: "paint", buffered: true });
  const done = () => {
    const pill = document.querySelector('[data-testid="connection-status"]');
    const input = document.querySelector('[data-testid="chat-input"]');
    if (input && !input.disabled && window.__cairnTypeable === undefined) window.__cairnTypeable = performance.now();
    if (pill?.getAttribute("data-state") === "connected" && input && !input.disabled) {
      window.__cairnInteractive = performance.now();
      return true;
    }
    return false;
  };
  const obs = new MutationObserver(() => { if (done()) obs.disconnect(); });
  document.addEventListener("DOMContentLoaded", () => { if (!done()) obs.observe(document.body, { subtree: true, childList: true, attributes: true }); });
})();`;

async function throttle(cdp: CDPSession, p: Profile): Promise<void> {
  await cdp.send("Network.enable");
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: p.cpu });
  if (p.network) await cdp.send("Network.emulateNetworkConditions", p.network);
}

/** One load: its time to interactive and the bytes it moved (encoded, decoded). */
async function load(
  page: Page,
  cdp: CDPSession,
): Promise<{ ttiMs: number; typeableMs: number; fcpMs: number; wire: number; decoded: number; requests: number }> {
  let wire = 0;
  let decoded = 0;
  let requests = 0;
  const onFinished = (e: { encodedDataLength: number }) => {
    wire += e.encodedDataLength;
    requests++;
  };
  const onData = (e: { dataLength: number }) => {
    decoded += e.dataLength;
  };
  cdp.on("Network.loadingFinished", onFinished);
  cdp.on("Network.dataReceived", onData);
  await page.goto(gw.url, { waitUntil: "commit", timeout: 120_000 });
  const ttiMs = await until(
    "the chat interactive",
    () => page.evaluate(() => (window as unknown as { __cairnInteractive?: number }).__cairnInteractive ?? null),
    (v) => v !== null,
    120_000,
  );
  // Whatever the page still fetches right after (lazy chunks) belongs to the first load too.
  await page.waitForLoadState("networkidle", { timeout: 60_000 }).catch(() => undefined);
  cdp.off("Network.loadingFinished", onFinished);
  cdp.off("Network.dataReceived", onData);
  const typeableMs = (await page.evaluate("window.__cairnTypeable")) as number;
  const fcpMs = (await page.evaluate("window.__cairnFcp ?? null")) as number;
  return { ttiMs: ttiMs as number, typeableMs, fcpMs, wire, decoded, requests };
}

const loadFigures: Record<string, unknown> = {};
const rows: string[] = [];
for (const p of values["stream-only"] ? [] : PROFILES) {
  const first: Array<Awaited<ReturnType<typeof load>>> = [];
  const repeat: Array<Awaited<ReturnType<typeof load>>> = [];
  for (let i = 0; i < loads; i++) {
    // A fresh profile per round: the first load has no cache and no service worker.
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setViewportSize(p.viewport);
      await page.addInitScript(TTI_PROBE);
      const cdp = await page.context().newCDPSession(page);
      await throttle(cdp, p);
      first.push(await load(page, cdp));
      // The repeat visit is the service worker's: wait until it controls the page, its cache filled.
      await page.evaluate("navigator.serviceWorker.ready.then(() => true)");
      await until(
        "the service worker in control",
        () => page.evaluate("!!navigator.serviceWorker.controller"),
        (v) => v === true,
        120_000,
      );
      repeat.push(await load(page, cdp));
    } finally {
      await browser.close();
    }
  }
  const fcp = summarize(first.map((f) => f.fcpMs));
  const againFcp = summarize(repeat.map((f) => f.fcpMs));
  const tti = summarize(first.map((f) => f.ttiMs));
  const typeable = summarize(first.map((f) => f.typeableMs));
  const again = summarize(repeat.map((f) => f.ttiMs));
  const againTypeable = summarize(repeat.map((f) => f.typeableMs));
  const wire = first[0].wire;
  loadFigures[p.name] = {
    firstLoadWireBytes: wire,
    firstLoadDecodedBytes: first[0].decoded,
    requests: first[0].requests,
    fcpFirstMs: { p50: round(fcp.p50), max: round(fcp.max) },
    fcpRepeatMs: { p50: round(againFcp.p50), max: round(againFcp.max) },
    typeableFirstMs: { p50: round(typeable.p50), max: round(typeable.max) },
    ttiFirstMs: { p50: round(tti.p50), max: round(tti.max) },
    typeableRepeatMs: { p50: round(againTypeable.p50), max: round(againTypeable.max) },
    ttiRepeatMs: { p50: round(again.p50), max: round(again.max) },
  };
  rows.push(
    `${p.name.padEnd(26)} first load ${(wire / 1024).toFixed(1)} KiB on the wire (${(first[0].decoded / 1024).toFixed(1)} KiB decoded, ${first[0].requests} requests); ` +
      `first paint p50 ${round(fcp.p50, 0)} ms, typeable p50 ${round(typeable.p50, 0)} ms, sends p50 ${round(tti.p50, 0)} ms (max ${round(tti.max, 0)}); ` +
      `repeat visit (service worker): first paint ${round(againFcp.p50, 0)} ms, typeable ${round(againTypeable.p50, 0)} ms (max ${round(againTypeable.max, 0)}), sends ${round(again.p50, 0)} ms`,
  );
  log(rows.at(-1) as string);
}

// Streaming into a long chat: frame intervals while `tokens` deltas arrive.
const browser = await launchBrowser();
cleanup.add("browser", () => browser.close());
const page = await browser.newPage();
await openApp(page, gw.url);
await newChat(page);
const para = "A paragraph of an earlier answer, with `code` and **bold** words, long enough to wrap on a phone. ";
for (let i = 0; i < historyTurns; i++) {
  llm.script({ chunks: [`${para.repeat(3)}\n\n- one\n- two\n\n\`\`\`ts\nconst x = ${i};\n\`\`\`\n\n${para}`] });
  await typeAndSend(page, `question ${i}`);
  await settledReply(page, i + 1);
}
log(`long chat ready: ${historyTurns} exchanges`);
// Tokens of a realistic reply: words, with a paragraph break every ~60 and a code block now and then.
const chunks = Array.from({ length: tokens }, (_, i) =>
  i % 400 === 399 ? "\n```\n\n" : i % 400 === 300 ? "\n\n```js\n" : i % 60 === 59 ? "\n\n" : `word${i % 97} `,
);
llm.script({ chunks, chunkDelayMs: 2 });
// A string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
await page.evaluate(`(() => {
  window.__frames = [];
  window.__framing = true;
  let last = performance.now();
  const tick = (t) => {
    window.__frames.push(t - last);
    last = t;
    if (window.__framing) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`);
const t0 = performance.now();
await typeAndSend(page, "a long answer please");
await settledReply(page, historyTurns + 1, 600_000);
const streamMs = performance.now() - t0;
const frames = (await page.evaluate("(() => { window.__framing = false; return window.__frames.slice(1); })()")) as number[];
const f = summarize(frames);
const long = frames.filter((x) => x > 50).length;
const frameFigures = {
  tokens,
  historyTurns,
  streamMs: round(streamMs, 0),
  frames: frames.length,
  p50: round(f.p50),
  p90: round(f.p90),
  p99: round(f.p99),
  max: round(f.max),
  over50ms: long,
};
rows.push(
  `stream ${tokens} tokens into ${historyTurns} exchanges: ${frames.length} frames in ${round(streamMs / 1000, 1)} s; ` +
    `frame p50 ${frameFigures.p50} ms, p90 ${frameFigures.p90}, p99 ${frameFigures.p99}, max ${frameFigures.max}; ${long} frames over 50 ms`,
);
log(rows.at(-1) as string);

await cleanup.runAll();
process.stdout.write(`${rows.join("\n")}\n`);
process.stdout.write(`${JSON.stringify({ bench: "ui", criticalPath: critical, loads: loadFigures, streaming: frameFigures })}\n`);
