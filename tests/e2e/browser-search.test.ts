/**
 * Search and long conversations in the web UI, on a real gateway process, the scripted model and
 * Debian's chromium: the sidebar's search box finds past messages (matches marked), a hit opens
 * its chat scrolled to the message and marks it; a compacted chat shows a divider with the
 * summary; `/compact` in the composer compacts the open chat.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { launchBrowser, oneTab, openApp, shoot, startAll, type Browser } from "./browser.helpers.ts";

const T = 120_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  // A 600-token window: a few long turns make a run compact first.
  llm.models({ models: [{ id: "test-model", context_length: 600 }] });
  const { started, failure } = await startAll(startGatewayProc({ llmBaseUrl: llm.url }), launchBrowser());
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

const logs = () => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;
const chat = async (session: string, text: string) => {
  const r = await gw.cli(["chat", "--session", session, text], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`cairn chat failed: ${r.stderr}${r.stdout}${logs()}`);
};
const filler = (n: number) => `note ${n}: ${"the quick brown fox jumps over the lazy dog ".repeat(9)}`;

describe("search and compaction in the web UI", () => {
  test(
    "a search hit opens its chat at the message, marked; a compacted chat shows the summary divider",
    async () => {
      // A long chat with a word to find early on, then enough turns to compact.
      await chat("long-chat", "Where did I park? The zeppelin hangar on level 3.");
      for (const n of [1, 2, 3, 4, 5]) await chat("long-chat", filler(n));
      llm.script(
        { chunks: ["Summary: the user parked at the zeppelin hangar, level 3, then wrote notes 1 to 5."] },
        { chunks: ["Noted."] },
      );
      await chat("long-chat", filler(6));
      await chat("other-chat", "Nothing about airships here, only a zeppelin-free shopping list.");

      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await page.getByTestId("search-input").fill("zeppelin hangar");
      const hit = page.locator('[data-testid="search-hit"][data-key="long-chat"]').first();
      await hit.waitFor();
      // Matches are marked; the session list gives way to the results while a query is typed.
      expect(await hit.locator("mark").allTextContents()).toEqual(expect.arrayContaining(["zeppelin", "hangar"]));
      expect(await page.getByTestId("session-item").count()).toBe(0);
      const messageId = await hit.getAttribute("data-message");
      await shoot(page, "search-results");

      await hit.click();
      await page.waitForURL(/#\/s\/long-chat$/);
      const marked = page.locator("article[data-search-hit]");
      await marked.waitFor();
      expect(await marked.textContent()).toContain("zeppelin hangar on level 3");
      expect(await marked.isVisible()).toBe(true);
      // In view: the list scrolled up to it (it is the first of many messages).
      const inView = await marked.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      });
      expect(inView).toBe(true);
      expect(messageId).toBeTruthy();

      // A divider sits after the last message each compaction replaced (the scripted model echoes
      // when not told otherwise, so earlier turns compacted too); the latest summary opens on click.
      const divider = page.getByTestId("compaction-divider").last();
      await divider.waitFor();
      expect(await divider.textContent()).toMatch(/Compacted \d+ earlier messages into a summary/);
      await divider.locator("summary").click();
      expect(await divider.getByTestId("compaction-summary").textContent()).toContain("parked at the zeppelin hangar");
      await shoot(page, "search-jump-divider");

      // Escape clears the search: the list is back.
      await page.getByTestId("search-input").press("Escape");
      await page.getByTestId("session-item").first().waitFor();
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "/compact in the composer compacts the open chat and shows the divider",
    async () => {
      await chat("manual", "first thing to remember: the code is 4711");
      await chat("manual", "second thing: the door is blue");
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/s/manual");
      await page.getByTestId("message").nth(3).waitFor();
      llm.script({ chunks: ["Summary: code 4711, blue door."] });
      await page.getByTestId("chat-input").fill("/compact");
      await page.getByTestId("send").click();
      await expect.poll(() => page.getByTestId("command-info").textContent()).toMatch(/Compacted 4 messages into a summary/);
      const divider = page.getByTestId("compaction-divider");
      await divider.waitFor();
      expect(await divider.textContent()).toContain("(/compact)");
      // The messages stay.
      expect(await page.getByTestId("message").count()).toBe(4);
      await shoot(page, "compact-command");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
