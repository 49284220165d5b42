/**
 * Issue 20's layout defects in a real chromium against a real gateway process: the sandbox
 * warning pushes the chat down instead of covering its first message, and the chat header is one
 * row at common desktop widths (1280, 1440) as on a phone, its secondary controls in the ⋯ menu.
 * Measured with bounding boxes, the way a person sees overlap and wrapping.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  launchBrowser,
  oneTab,
  openApp,
  resetBrowserRecords,
  settledReply,
  shoot,
  startAll,
  typeAndSend,
  type Browser,
} from "./browser.helpers.ts";

const T = 120_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
let dir: string;

beforeAll(async () => {
  llm = await startLlmServer();
  // No sandbox: the warning banner shows above the chat.
  dir = mkdtempSync(join(tmpdir(), "cairn-e2e-layout-"));
  writeFileSync(join(dir, "cairn.toml"), ["[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"));
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: dir } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

type Box = { top: number; bottom: number; left: number; right: number };
const box = (page: Page, selector: string): Promise<Box> =>
  page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    });

/** The header's height and how far apart the vertical centres of what it shows are (0: one row). */
const headerRows = (page: Page) =>
  page.evaluate(() => {
    const header = document.querySelector("header.header") as HTMLElement;
    const centres = [...header.querySelectorAll<HTMLElement>("h1, button, [role=status]")]
      .filter((c) => c.offsetParent !== null && !c.closest("#header-controls"))
      .map((c) => {
        const r = c.getBoundingClientRect();
        return r.top + r.height / 2;
      });
    return { height: header.getBoundingClientRect().height, spread: Math.max(...centres) - Math.min(...centres) };
  });

describe("chat layout", () => {
  test(
    "the sandbox warning pushes the first message down; the header is one row at 1280 and 1440 px, secondary controls in the menu",
    async () => {
      const page = await oneTab(browser);
      await page.setViewportSize({ width: 1280, height: 800 });
      await openApp(page, gw.url);
      llm.script({ chunks: ["Hello there."] });
      await typeAndSend(page, "A first message, long enough to fill a line of the chat so any overlap would show on it.");
      expect((await settledReply(page, 1, 60_000)).status).toBe("complete");
      // The list scrolled to its top: the first message is where the banner could cover it.
      await page.getByTestId("message-list").evaluate((el) => el.scrollTo(0, 0));

      for (const [width, height] of [
        [1280, 800],
        [1440, 900],
        [1920, 1080],
        [390, 844],
        // Short windows (a phone with its keyboard up): the banner still never covers a message.
        [390, 420],
        [1280, 480],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.screenshot({ path: `/tmp/ui-shots/probe-${width}x${height}.png` });
        const banner = await box(page, '[data-testid="sandbox-warning"]');
        const list = await box(page, '[data-testid="message-list"]');
        const first = await box(page, '[data-testid="message"]');
        // The banner sits above the message list, and the first message starts below the banner.
        expect(banner.bottom, `${width}×${height}`).toBeLessThanOrEqual(list.top + 0.5);
        expect(first.top, `${width}×${height}`).toBeGreaterThanOrEqual(banner.bottom);
        const header = await box(page, "header.header");
        expect(banner.top, `${width}×${height}`).toBeGreaterThanOrEqual(header.bottom);

        const rows = await headerRows(page);
        expect(rows.height, `${width}×${height}`).toBeLessThan(64);
        expect(rows.spread, `${width}×${height}`).toBeLessThan(4);
        // The secondary controls are one click away, in the menu.
        expect(await page.getByTestId("fork-session").isVisible()).toBe(false);
        await page.getByTestId("header-more").click();
        expect(await page.getByTestId("fork-session").isVisible()).toBe(true);
        expect(await page.getByTestId("activity-toggle").isVisible()).toBe(true);
        if (width === 1280) await page.screenshot({ path: "/tmp/ui-shots/layout-menu-1280.png" });
        await page.keyboard.press("Escape");
        expect(await page.getByTestId("fork-session").isVisible()).toBe(false);
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      await shoot(page, "layout-chat");
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, "layout-chat-dark");
      await page.emulateMedia({ colorScheme: "light" });
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
