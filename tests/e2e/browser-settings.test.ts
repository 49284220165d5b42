/**
 * The Settings area in Chromium against a real gateway: every section opens from the list (desktop
 * beside it; on a 390 px phone the list, then the section with a way back), the old page routes
 * land on their section, a General change persists across a reload and shows live in another
 * tab, and an "always allowed" command (answered from the CLI) is revoked. Screenshots of every
 * section with CAIRN_SHOTS, light and dark.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { jsonLines, startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { launchBrowser, oneTab, openApp, shoot, startAll, until, type Browser } from "./browser.helpers.ts";

const T = 120_000;
const SECTIONS = ["general", "tools", "providers", "nodes", "mcp", "hooks", "cron", "channels", "notifications", "security", "monitoring"];
const cfg = mkdtempSync(join(tmpdir(), "cairn-settings-cfg-"));
// No docker engine: `auto` is bubblewrap. "smart" asks before a command that writes.
writeFileSync(join(cfg, "cairn.toml"), '[agent]\nmax_iterations = 12\n[tools.exec]\napproval_mode = "smart"\n');

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: "unix:///nonexistent.sock" } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
  rmSync(cfg, { recursive: true, force: true });
}, 60_000);

const detail = (page: Page) => page.getByTestId("settings-detail");
const openSection = async (page: Page, id: string) => {
  await page.getByTestId(`${id}-link`).click();
  await until(
    `the ${id} section`,
    () => detail(page).getAttribute("data-section"),
    (s) => s === id,
  );
  await detail(page).locator("h1").first().waitFor();
};

describe("the Settings area", () => {
  test(
    "desktop: the sidebar's Settings opens the list beside General; every section opens; old routes redirect",
    async () => {
      const page = await oneTab(browser);
      await page.setViewportSize({ width: 1200, height: 800 });
      await openApp(page, gw.url);
      await page.getByTestId("settings-link").click();
      await until(
        "the settings route",
        async () => page.url(),
        (u) => u.endsWith("#/settings"),
      );
      expect(await detail(page).getAttribute("data-section")).toBe("general");
      for (const id of SECTIONS) {
        await openSection(page, id);
        expect(page.url().endsWith(`#/settings/${id}`)).toBe(true);
        expect(await page.getByTestId(`${id}-link`).getAttribute("aria-current")).toBe("page");
        await shoot(page, `settings-${id}`);
        await page.emulateMedia({ colorScheme: "dark" });
        await shoot(page, `settings-${id}-dark`);
        await page.emulateMedia({ colorScheme: null });
      }
      await page.goto(`${gw.url}/#/providers`);
      await until(
        "the redirect",
        async () => page.url(),
        (u) => u.endsWith("#/settings/providers"),
      );
      await until(
        "the providers section",
        () => detail(page).getAttribute("data-section"),
        (s) => s === "providers",
      );
    },
    T,
  );

  test(
    "phone (390 px): the list alone, then a section with a way back",
    async () => {
      const page = await oneTab(browser);
      await page.setViewportSize({ width: 390, height: 844 });
      await openApp(page, gw.url, "#/settings");
      await page.getByTestId("general-link").waitFor();
      expect(await detail(page).isVisible()).toBe(false);
      await shoot(page, "settings-list");
      for (const id of SECTIONS) {
        await page.getByTestId(`${id}-link`).click();
        await until(
          `the ${id} section`,
          () => detail(page).getAttribute("data-section"),
          (s) => s === id,
        );
        expect(await detail(page).isVisible()).toBe(true);
        expect(await page.getByTestId(`${id}-link`).isVisible()).toBe(false);
        await page.getByTestId("settings-back").click();
        await page.getByTestId("general-link").waitFor();
      }
    },
    T,
  );

  test(
    "a General change persists across a reload and shows live in another tab",
    async () => {
      const page = await oneTab(browser);
      await page.setViewportSize({ width: 1200, height: 800 });
      await openApp(page, gw.url, "#/settings/general");
      const other = await browser.context.newPage();
      await openApp(other, gw.url, "#/settings/general");
      const field = (p: Page) => p.locator("#setting-agent-max_iterations");
      await until(
        "the configured limit",
        () => field(other).inputValue(),
        (v) => v === "12",
      );

      await field(page).fill("7");
      await page.getByTestId("setting-agent-max_iterations-save").click();
      await until(
        "the field marked as set here",
        () => page.getByTestId("setting-agent-max_iterations").getAttribute("data-set"),
        (s) => s === "yes",
      );
      // The other tab hears settings.changed and shows the new value without a reload.
      await until(
        "the other tab's value",
        () => field(other).inputValue(),
        (v) => v === "7",
      );

      await page.getByTestId("setting-agent-system_prompt").locator("textarea").fill("Answer in one line.");
      await page.getByTestId("setting-agent-system_prompt-save").click();
      await until(
        "the prompt saved",
        () => page.getByTestId("setting-agent-system_prompt").getAttribute("data-set"),
        (s) => s === "yes",
      );
      await shoot(page, "settings-general-changed");

      await page.reload();
      await until(
        "the value after a reload",
        () => field(page).inputValue(),
        (v) => v === "7",
      );
      expect(await page.locator("#setting-agent-system_prompt").inputValue()).toBe("Answer in one line.");
      expect(await page.getByTestId("config-path").textContent()).toBe(join(cfg, "cairn.toml"));

      // The next run uses the new prompt.
      expect((await gw.cli(["chat", "-s", "after-settings", "hi"])).code).toBe(0);
      expect(llm.requests.at(-1)?.body.messages[0]).toMatchObject({
        role: "system",
        content: expect.stringContaining("Answer in one line."),
      });

      // Back to cairn.toml's value.
      await page.getByTestId("setting-agent-max_iterations-reset").click();
      await until(
        "the configured limit again",
        () => field(other).inputValue(),
        (v) => v === "12",
      );
      await other.close();
    },
    T,
  );

  test(
    "an always-allowed command is listed under Tools & approvals and can be revoked",
    async () => {
      llm.script({ toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "touch made.txt" }) }] }, { chunks: ["Made."] });
      const chat = gw.cli(["chat", "-s", "always", "make a file"], { timeoutMs: 60_000 });
      const pending = await until(
        "the approval",
        async () => jsonLines((await gw.cli(["approvals", "list", "--json"])).stdout),
        (l) => l.length === 1,
        40_000,
      );
      expect((await gw.cli(["approvals", "approve", pending[0].id, "--always"])).code).toBe(0);
      expect((await chat).code).toBe(0);

      const page = await oneTab(browser);
      await page.setViewportSize({ width: 1200, height: 800 });
      await openApp(page, gw.url, "#/settings/tools");
      const row = page.locator('[data-testid="always-allowed"][data-command="touch made.txt"]');
      await row.waitFor();
      await shoot(page, "settings-tools-always");
      await row.getByTestId("revoke-command").click();
      await row.getByTestId("revoke-command-confirm").click();
      await page.getByTestId("always-empty").waitFor();
      const view = jsonLines((await gw.cli(["settings", "list", "--json"])).stdout)[0];
      expect(view.allowedCommands).toEqual([]);
    },
    T,
  );
});
