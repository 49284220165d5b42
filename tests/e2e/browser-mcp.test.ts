import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, jsonLines, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { MCP_FIXTURE } from "../fixtures/mcp/index.ts";
import {
  openHeaderMenu,
  launchBrowser,
  oneTab,
  openApp,
  resetBrowserRecords,
  settledReply,
  typeAndSend,
  until,
  type Browser,
  startAll,
  shoot,
} from "./browser.helpers.ts";

const T = 120_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(startGatewayProc({ llmBaseUrl: llm.url }), launchBrowser());
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

const logs = () => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;

const serverState = (page: Page, name: string) =>
  page.locator(`[data-testid="mcp-server"][data-name="${name}"]`).getAttribute("data-state", { timeout: 2_000 });
const offered = (i: number): string[] =>
  ((llm.requests[i]?.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);
type Card = { name: string | null; status: string | null; output: string | null };
const cards = (page: Page): Promise<Card[]> =>
  page.getByTestId("tool-card").evaluateAll((els) =>
    els.map((el) => ({
      name: el.getAttribute("data-tool"),
      status: el.getAttribute("data-status"),
      output: el.querySelector('[data-testid="tool-output"]')?.textContent ?? null,
    })),
  );

describe("MCP settings page", () => {
  test(
    "a server added in Settings → MCP starts, lists its tools, and its tool is used in a chat; the chat's toggle and a fork keep it out",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await page.getByTestId("settings-link").click();
      await page.getByTestId("mcp-link").click();
      await page.getByTestId("mcp-empty").waitFor();

      // Add the fixture over stdio; calls run without asking (the user trusts it).
      await page.getByTestId("mcp-new").click();
      await page.getByTestId("mcp-name").fill("fx");
      await page.getByTestId("mcp-command").fill(process.execPath);
      await page.getByTestId("mcp-args").fill(`${MCP_FIXTURE}\necho`);
      await page.getByTestId("mcp-approval").selectOption("never");
      await page.getByTestId("mcp-save").click();
      await until(
        "fx ready",
        () => serverState(page, "fx"),
        (s) => s === "ready",
        30_000,
      ).catch((e) => {
        throw new Error(`${e}${logs()}`);
      });
      // Its tools with source and schema.
      await page.getByTestId("mcp-tools-summary").click();
      const echo = page.locator('[data-testid="mcp-tool"][data-name="mcp__fx__echo"]');
      await echo.waitFor();
      expect(await echo.textContent()).toContain("from fx (echo)");
      await echo.getByText("input schema").click();
      expect(await echo.locator("pre").textContent()).toContain('"text"');
      await shoot(page, "mcp");

      // The model calls it in a chat; the card ends finished with the server's answer.
      await page.getByTestId("new-chat").click();
      await until(
        "chat view",
        async () => page.url(),
        (u) => !u.includes("#/settings"),
      );
      llm.script({ toolCalls: [{ name: "mcp__fx__echo", arguments: JSON.stringify({ text: "stones" }) }] }, { chunks: ["Echoed."] });
      await typeAndSend(page, "ask the server");
      const [card] = await until(
        "a finished MCP card",
        () => cards(page),
        (cs) => cs[0]?.status === "finished",
      );
      expect(card.name).toBe("mcp__fx__echo");
      expect(card.output).toContain("stones");
      expect((await settledReply(page)).status).toBe("complete");
      expect(offered(0)).toContain("mcp__fx__echo");

      // Off for this chat: the next request offers no MCP tool, built-in tools stay.
      await openHeaderMenu(page);
      await page.getByTestId("mcp-toggle-open").click();
      await page.locator('[data-testid="mcp-toggle-server"][data-name="fx"]').uncheck();
      // Its one server off is MCP off: the master box unticks with it.
      await expect.poll(() => page.getByTestId("mcp-toggle-open").textContent()).toContain("MCP off");
      expect(await page.getByTestId("mcp-toggle-all").isChecked()).toBe(false);
      await shoot(page, "mcp-toggle");
      await page.keyboard.press("Escape");
      llm.reset();
      await typeAndSend(page, "again");
      await settledReply(page, 2);
      expect(offered(0)).not.toContain("mcp__fx__echo");
      expect(offered(0).length).toBeGreaterThan(0);

      // A fork keeps the choice, and so does a reload.
      await openHeaderMenu(page);
      await page.getByTestId("fork-session").click();
      await page.getByTestId("fork-confirm").click();
      await until(
        "the fork open",
        async () => page.getByTestId("mcp-toggle-open").textContent(),
        (t) => (t ?? "").includes("MCP off"),
      );
      await page.reload();
      await expect.poll(() => page.getByTestId("mcp-toggle-open").textContent(), { timeout: 20_000 }).toContain("MCP off");

      // Disable from the page: the gateway stops it and says why; then remove it.
      await page.goto(`${gw.url}/#/mcp`);
      await until(
        "fx listed",
        () => serverState(page, "fx"),
        (s) => s === "ready",
      );
      await page.getByTestId("mcp-toggle").click();
      await until(
        "fx disabled",
        () => serverState(page, "fx"),
        (s) => s === "disabled",
      );
      const listed = jsonLines((await gw.cli(["mcp", "list", "--json"])).stdout);
      expect(listed.find((s) => s.name === "fx")?.state).toBe("disabled");
      await page.getByTestId("mcp-remove").click();
      await page.getByTestId("mcp-remove-confirm").click();
      await page.getByTestId("mcp-empty").waitFor();
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
