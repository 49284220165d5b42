/**
 * Settings → Hooks and Settings → Channels in a real browser against a real gateway process, with
 * real shell hooks and the scripted Telegram Bot API server (tests/fixtures/telegram/). Hooks: a
 * hook that keeps failing shows its breaker open with the error, one that works shows its last run,
 * one whose requirement is missing says why it is not eligible. Channels: the bot's state, a
 * stranger in the pending queue approved at a level from the page, the level changed, the sender
 * revoked — each checked against what the CLI reads from the log.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startBotApiServer, type BotApiServer } from "../fixtures/telegram/bot-api.server.ts";
import { launchBrowser, oneTab, openApp, shoot, startAll, until, type Browser } from "./browser.helpers.ts";

const T = 120_000;
const OWNER = 111;
const STRANGER = 555;

let browser: Browser;
let llm: LlmServer;
let bot: BotApiServer;
let gw: GatewayProc;

const hook = (dir: string, name: string, front: string[]) => {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "HOOK.md"), ["+++", `name = "${name}"`, ...front, "+++", "", `# ${name}`, ""].join("\n"));
};

beforeAll(async () => {
  llm = await startLlmServer();
  bot = await startBotApiServer();
  const configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-pages-"));
  const hooks = join(configDir, "hooks");
  hook(hooks, "flaky", ['description = "Always fails"', 'events = ["MessageReceived"]', "command = 'echo broken >&2; exit 3'"]);
  hook(hooks, "audit", ['description = "Logs each message"', 'events = ["MessageReceived"]', "command = 'cat > /dev/null'"]);
  hook(hooks, "needs-key", ['events = ["AfterToolCall"]', "command = 'true'", "[requires]", 'env = ["CAIRN_TEST_UNSET_KEY"]']);
  writeFileSync(
    join(configDir, "cairn.toml"),
    [
      "[channels.telegram]",
      "enabled = true",
      'allowed_users = ["@owner"]',
      'access = "execute"',
      `api_root = "${bot.url}"`,
      "poll_timeout_secs = 1",
      "",
    ].join("\n"),
  );
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir, CAIRN_TELEGRAM_TOKEN: bot.token } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), bot?.close(), llm?.close()]);
}, 60_000);

const card = (page: Page, name: string) => page.locator(`[data-testid="hook"][data-name="${name}"]`);
const sender = (page: Page, id: number) => page.locator(`[data-testid="channel-sender"][data-user="${id}"]`);
type SenderRow = { userId: string; status: string; access: string | null };
const senders = async (): Promise<SenderRow[]> =>
  (await gw.cli(["channels", "pending", "--all", "--json"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SenderRow);

describe("Settings pages for hooks and channels", () => {
  test(
    "Hooks: an open breaker is shown with its error, a working hook with its last run, an ineligible one with why",
    async () => {
      // Five messages: five failures of `flaky` in a row open its breaker.
      for (let i = 1; i <= 5; i++) {
        llm.script({ chunks: [`Reply ${i}.`] });
        bot.userSays(OWNER, `message ${i}`, { username: "owner" });
        await bot.until(`reply ${i}`, () => bot.chat(OWNER).at(-1)?.texts.at(-1) === `Reply ${i}\\.`);
      }
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await page.getByTestId("settings-link").click();
      await page.getByTestId("hooks-link").click();
      await until(
        "flaky's breaker open",
        () => card(page, "flaky").getAttribute("data-state", { timeout: 2_000 }),
        (s) => s === "breaker open",
        30_000,
      );
      expect(await page.getByTestId("hooks-open-alert").textContent()).toContain("1 hook is being skipped");
      const breaker = await card(page, "flaky").getByTestId("hook-breaker").textContent();
      expect(breaker).toContain("5 failures in a row");
      expect(breaker).toContain("broken");

      await until(
        "audit's last run",
        () => card(page, "audit").getByTestId("hook-last-run").textContent({ timeout: 2_000 }),
        (t) => (t ?? "").includes("MessageReceived → continue"),
      );
      expect(await card(page, "audit").getAttribute("data-state")).toBe("active");
      expect(await card(page, "needs-key").getAttribute("data-state")).toBe("not eligible");
      expect(await card(page, "needs-key").getByTestId("hook-reasons").textContent()).toContain("CAIRN_TEST_UNSET_KEY");
      // The bundled hooks are listed, off until enabled in cairn.toml.
      expect(await card(page, "command-logger").getAttribute("data-state")).toBe("disabled");
      await shoot(page, "hooks");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "Channels: the bot's state; a pending sender approved at a level, the level changed, then revoked",
    async () => {
      bot.userSays(STRANGER, "let me in", { firstName: "Eve" });
      await bot.until("the pending notice", () => !!bot.chat(STRANGER).at(-1)?.texts.at(-1)?.includes("has to let you in"));

      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/channels");
      await until(
        "telegram connected",
        () => page.locator('[data-testid="channel"][data-name="telegram"]').getAttribute("data-state", { timeout: 2_000 }),
        (s) => s === "polling",
      );
      const facts = await page.getByTestId("channel-facts").textContent();
      expect(facts).toContain("@cairn_test_bot");
      expect(facts).toContain("long polling");
      expect(facts).toContain("execute");
      await sender(page, STRANGER).waitFor();
      expect(await sender(page, STRANGER).getAttribute("data-status")).toBe("pending");
      expect(await sender(page, STRANGER).textContent()).toContain("Eve");
      expect(await page.getByTestId("pending-count").textContent()).toBe("1");
      await shoot(page, "channels-pending");

      // Approve at read-only, from the page.
      await sender(page, STRANGER).getByTestId("sender-approve-level").selectOption("read-only");
      await sender(page, STRANGER).getByTestId("sender-approve").click();
      await until(
        "Eve approved",
        () => sender(page, STRANGER).getAttribute("data-status", { timeout: 2_000 }),
        (s) => s === "approved",
      );
      await page.getByTestId("pending-empty").waitFor();
      expect(await sender(page, STRANGER).getByTestId("sender-access").inputValue()).toBe("read-only");
      expect((await senders()).find((s) => s.userId === String(STRANGER))).toMatchObject({ status: "approved", access: "read-only" });
      await shoot(page, "channels-approved");

      // Raised to admin, then back to the channel's level.
      await sender(page, STRANGER).getByTestId("sender-access").selectOption("admin");
      await expect.poll(async () => (await senders()).find((s) => s.userId === String(STRANGER))?.access).toBe("admin");
      await sender(page, STRANGER).getByTestId("sender-access").selectOption("");
      await expect.poll(async () => (await senders()).find((s) => s.userId === String(STRANGER))?.access).toBe(null);

      // Revoked: asked first, then turned away.
      await sender(page, STRANGER).getByTestId("sender-revoke").click();
      await sender(page, STRANGER).getByTestId("sender-revoke-confirm").click();
      await page.getByTestId("denied-senders").waitFor({ state: "attached" });
      await expect.poll(async () => (await senders()).find((s) => s.userId === String(STRANGER))?.status).toBe("denied");
      const asked = llm.requests.length;
      bot.userSays(STRANGER, "still there?");
      await expect
        .poll(async () => (await gw.cli(["events", "tail", "--json", "--kind", "channel", "-n", "500"])).stdout)
        .toMatch(/"verdict":"refused"/);
      expect(llm.requests.length).toBe(asked);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
