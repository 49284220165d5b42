/**
 * Managing chats in the web UI, on a real gateway process, the scripted model and Debian's
 * chromium, on a desktop and on a 390×844 touch profile: the list grouped by date with pinned
 * chats first; rename, pin, export (markdown and JSON) and delete from each chat's visible
 * actions button, each shown live in a second tab; search reachable above the list; and the
 * composer's slash commands with their keyboard-operable completion popup.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  PHONE,
  launchBrowser,
  oneTab,
  openApp,
  resetBrowserRecords,
  sessionKeyOf,
  shoot,
  startAll,
  until,
  type Browser,
} from "./browser.helpers.ts";

const T = 180_000;

let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  gw = await startGatewayProc({ llmBaseUrl: llm.url });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([gw?.dispose(), llm?.close()]);
}, 60_000);

const chat = async (session: string, text: string) => {
  llm.script({ chunks: [`About ${text}.`] });
  const r = await gw.cli(["chat", "--session", session, text], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`cairn chat failed: ${r.stderr}${r.stdout}\n${gw.output().slice(-3000)}`);
};

const row = (page: Page, key: string) => page.locator(`[data-testid="session-row"][data-key="${key}"]`);
const nameOf = (page: Page, key: string) => row(page, key).getByTestId("session-name").textContent();
const groupOf = (page: Page, key: string) =>
  page
    .locator(`[data-testid="session-row"][data-key="${key}"]`)
    .evaluate((el) => el.closest('[data-testid="session-group"]')?.getAttribute("data-label") ?? null);
const info = (page: Page) => page.getByTestId("command-info").textContent();

describe.each([
  ["desktop", undefined],
  ["phone", PHONE],
] as const)("chats on %s", (profile, device) => {
  let browser: Browser;
  const phone = device !== undefined;
  const k = (name: string) => `${profile}-${name}`;

  beforeAll(async () => {
    const { started, failure } = await startAll(launchBrowser([], device));
    [browser] = started;
    if (failure) throw failure;
    await chat(k("trip"), `${profile} Lisbon trams`);
    await chat(k("notes"), `${profile} Porto wine`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** On the phone the list is a drawer behind the ☰ button. */
  const showList = async (page: Page) => {
    if (!phone) return;
    const toggle = page.getByRole("button", { name: "Show sessions" });
    if (await toggle.isVisible()) await toggle.tap();
    await page.locator("#sidebar").waitFor({ state: "visible" });
  };
  const press = (page: Page, testid: string, within = page.locator("body")) =>
    phone ? within.getByTestId(testid).tap() : within.getByTestId(testid).click();
  const actionsOf = async (page: Page, key: string) => {
    await showList(page);
    await press(page, "session-actions", row(page, key));
  };

  test(
    "rename, pin, export and delete from the visible actions; a second tab shows each change live",
    async () => {
      resetBrowserRecords(browser);
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      const other = await browser.context.newPage();
      await openApp(other, gw.url);
      await showList(page);
      await shoot(page, `chats-list-${profile}`);

      // Grouped by date: both chats were active today; the actions button is there without hovering.
      expect(await groupOf(page, k("trip"))).toBe("Today");
      expect(await row(page, k("trip")).getByTestId("session-actions").isVisible()).toBe(true);

      // Rename: Enter saves.
      await actionsOf(page, k("trip"));
      await shoot(page, `chats-actions-${profile}`);
      await press(page, "session-rename", row(page, k("trip")));
      const input = row(page, k("trip")).getByTestId("session-rename-input");
      await input.fill("Lisbon in spring");
      await input.press("Enter");
      await until(
        "the renamed title in this tab",
        () => nameOf(page, k("trip")),
        (t) => t === "Lisbon in spring",
      );
      await until(
        "the renamed title in the other tab",
        () => nameOf(other, k("trip")),
        (t) => t === "Lisbon in spring",
      );
      // Escape cancels a rename.
      await actionsOf(page, k("trip"));
      await press(page, "session-rename", row(page, k("trip")));
      await input.fill("not this");
      await input.press("Escape");
      expect(await nameOf(page, k("trip"))).toBe("Lisbon in spring");

      // Pin: the chat moves to the Pinned group, in both tabs.
      await actionsOf(page, k("trip"));
      await press(page, "session-pin", row(page, k("trip")));
      await until(
        "Pinned in this tab",
        () => groupOf(page, k("trip")),
        (g) => g === "Pinned",
      );
      await until(
        "Pinned in the other tab",
        () => groupOf(other, k("trip")),
        (g) => g === "Pinned",
      );
      expect(await page.getByTestId("session-group").first().getAttribute("data-label")).toBe("Pinned");
      await shoot(page, `chats-pinned-${profile}`);
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, `chats-pinned-dark-${profile}`);
      await page.emulateMedia({ colorScheme: "light" });

      // Export: the browser saves the file the CLI's export writes.
      for (const [testid, ext, expected] of [
        ["session-export-md", "md", "Lisbon in spring"],
        ["session-export-json", "jsonl", '"session.pinned"'],
      ] as const) {
        await actionsOf(page, k("trip"));
        const [download] = await Promise.all([page.waitForEvent("download"), press(page, testid, row(page, k("trip")))]);
        expect(download.suggestedFilename()).toBe(`cairn-${k("trip")}.${ext}`);
        const text = readFileSync((await download.path()) as string, "utf8");
        expect(text).toContain(expected);
        expect(text).toContain(`${profile} Lisbon trams`);
      }

      // Unpin puts it back in its date group.
      await actionsOf(page, k("trip"));
      await press(page, "session-pin", row(page, k("trip")));
      await until(
        "back in Today",
        () => groupOf(page, k("trip")),
        (g) => g === "Today",
      );

      // Delete asks first; Keep keeps it.
      await actionsOf(page, k("notes"));
      await press(page, "session-delete", row(page, k("notes")));
      await shoot(page, `chats-delete-${profile}`);
      await row(page, k("notes")).getByRole("button", { name: "Keep" }).click();
      expect(await row(page, k("notes")).count()).toBe(1);
      await actionsOf(page, k("notes"));
      await press(page, "session-delete", row(page, k("notes")));
      await press(page, "session-delete-confirm", row(page, k("notes")));
      await until(
        "gone in this tab",
        () => row(page, k("notes")).count(),
        (n) => n === 0,
      );
      await until(
        "gone in the other tab",
        () => row(other, k("notes")).count(),
        (n) => n === 0,
      );

      // Search sits above the list.
      await showList(page);
      await page.getByTestId("search-input").fill("trams");
      await page
        .locator(`[data-testid="search-hit"][data-key="${k("trip")}"]`)
        .first()
        .waitFor();
      await page.getByTestId("search-input").fill("");
      await row(page, k("trip")).waitFor();

      await other.close();
      expect(browser.pageErrors).toEqual([]);
      expect(browser.dialogs).toEqual([]);
    },
    T,
  );

  test(
    "slash commands: the popup completes with the keyboard; /help, /model, /new, /fork, /clear and /compact do what they say",
    async () => {
      resetBrowserRecords(browser);
      const page = await oneTab(browser);
      await openApp(page, gw.url, `#/s/${k("trip")}`);
      const box = page.getByTestId("chat-input");
      const options = page.getByTestId("slash-option");
      await box.click();

      // "/" opens the popup with every command; arrows move the highlight; Escape closes it.
      await box.fill("/");
      await page.getByTestId("slash-menu").waitFor();
      expect(await options.allTextContents()).toHaveLength(6);
      expect(await box.getAttribute("aria-expanded")).toBe("true");
      expect(await box.getAttribute("aria-activedescendant")).toBe("slash-option-0");
      await box.press("ArrowDown");
      expect(await box.getAttribute("aria-activedescendant")).toBe("slash-option-1");
      await box.press("ArrowUp");
      await box.press("ArrowUp");
      expect(await box.getAttribute("aria-activedescendant")).toBe("slash-option-5");
      await shoot(page, `chats-slash-${profile}`);
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, `chats-slash-dark-${profile}`);
      await page.emulateMedia({ colorScheme: "light" });
      await box.press("Escape");
      await page.getByTestId("slash-menu").waitFor({ state: "detached" });
      expect(await box.inputValue()).toBe("/");

      // /help: Enter on the only match runs it.
      await box.fill("/he");
      await box.press("Enter");
      await until(
        "the command list",
        () => info(page),
        (t) => !!t?.includes("/clear") && t.includes("/fork"),
      );

      // /model: Tab completes the command, then the models; Enter picks one.
      await box.fill("/mo");
      await box.press("Tab");
      expect(await box.inputValue()).toBe("/model ");
      await until(
        "model options",
        () => options.allTextContents(),
        (o) => o.some((t) => t.includes("default")),
      );
      await box.pressSequentially("test-mo");
      await until(
        "the test model offered first",
        () => options.first().textContent(),
        (t) => !!t?.includes("openai/test-model"),
      );
      await box.press("Enter");
      await until(
        "the switch confirmed",
        () => info(page),
        (t) => t === "Switched to openai/test-model.",
      );

      // /fork opens a branch holding this chat's messages.
      const original = sessionKeyOf(page);
      await box.fill("/fork");
      await box.press("Enter");
      const forked = await until(
        "the fork open",
        async () => sessionKeyOf(page),
        (key) => key !== null && key !== original,
      );
      await showList(page);
      expect(await row(page, forked as string).getAttribute("data-key")).toBe(forked);
      if (phone) await page.keyboard.press("Escape"); // closes the drawer

      // /clear: an empty chat on the same model; the one it leaves stays in the list.
      await box.fill("/clear");
      await box.press("Enter");
      const cleared = await until(
        "a fresh chat",
        async () => sessionKeyOf(page),
        (key) => key !== null && key !== forked,
      );
      await until(
        "what /clear did",
        () => info(page),
        (t) => !!t?.includes("previous one is still in the list"),
      );
      expect(await page.getByTestId("message").count()).toBe(0);
      await showList(page);
      expect(await row(page, forked as string).count()).toBe(1);
      expect(await row(page, cleared as string).count()).toBe(1);
      if (phone) await page.keyboard.press("Escape"); // closes the drawer

      // /new from a chat with messages opens another.
      await openApp(page, gw.url, `#/s/${k("trip")}`);
      await box.fill("/new");
      await box.press("Enter");
      await until(
        "a new chat",
        async () => sessionKeyOf(page),
        (key) => key !== null && key !== k("trip"),
      );

      // /compact on a chat with turns: the summary is asked of the model.
      await openApp(page, gw.url, `#/s/${k("trip")}`);
      llm.script({ chunks: ["Summary: the user asked about Lisbon trams."] });
      await box.fill("/compact");
      await box.press("Enter");
      await until(
        "the compaction's outcome",
        () => info(page),
        (t) => /^(Compacted|Nothing)/.test(t ?? ""),
        60_000,
      );

      // The popup is gone once a command ran.
      expect(await page.getByTestId("slash-menu").count()).toBe(0);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
