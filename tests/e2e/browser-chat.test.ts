/**
 * The chat in a real browser against a real gateway process and the scripted LLM server: tool
 * cards keyed as the log keys calls (run + call id), code blocks, copying, the composer while a
 * reply streams, and what the page says when the gateway goes away.
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
  newChat,
  oneTab,
  openApp,
  resetBrowserRecords,
  settledReply,
  shoot,
  startAll,
  typeAndSend,
  until,
  type Browser,
} from "./browser.helpers.ts";

const T = 90_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
let configDir: string;

beforeAll(async () => {
  llm = await startLlmServer();
  configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-chat-"));
  // Every command asks a person first.
  writeFileSync(
    join(configDir, "cairn.toml"),
    ["[tools.exec]", 'approval_mode = "always"', "[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"),
  );
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
  rmSync(configDir, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

const gatewayLog = () => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;

type Card = { run: string | null; call: string | null; status: string | null; output: string | null };

const cards = (page: Page): Promise<Card[]> =>
  page.getByTestId("tool-card").evaluateAll((els) =>
    els.map((el) => ({
      run: el.getAttribute("data-run-id"),
      call: el.getAttribute("data-call-id"),
      status: el.getAttribute("data-status"),
      output: el.querySelector('[data-testid="tool-output"]')?.textContent ?? null,
    })),
  );

const execCall = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

/** Waits for one pending approval on the page and approves it. */
async function approvePending(page: Page): Promise<void> {
  const pending = page.locator('[data-testid="approval-card"][data-status="pending"]');
  await until(
    "one pending approval card",
    () => pending.count(),
    (n) => n === 1,
    30_000,
  );
  await pending.getByTestId("approval-approve").click();
}

describe("tool calls are keyed by run + call id", () => {
  test(
    "a provider that sends call_1 every turn: the second call gets its own card, Approve works, the composer unlocks, a reload shows both",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script(
        { toolCalls: [execCall("call_1", "echo first-turn")] },
        { chunks: ["First done."] },
        { toolCalls: [execCall("call_1", "echo second-turn")] },
        { chunks: ["Second done."] },
      );

      await typeAndSend(page, "run the first");
      await approvePending(page);
      expect((await settledReply(page, 1)).text, gatewayLog()).toBe("First done.");

      await until(
        "the composer unlocked after the first reply",
        () => page.getByTestId("chat-input").isEnabled(),
        (v) => v,
      );
      await typeAndSend(page, "run the second");
      // The bug: this card merged into the first one (same call id), so no Approve button came.
      await approvePending(page);
      expect((await settledReply(page, 2)).text, gatewayLog()).toBe("Second done.");

      const shown = await until(
        "two finished cards, one per run",
        () => cards(page),
        (cs) => cs.length === 2 && cs.every((c) => c.status === "finished"),
      );
      expect(shown.map((c) => c.call)).toEqual(["call_1", "call_1"]);
      expect(new Set(shown.map((c) => c.run)).size).toBe(2);
      expect(shown[0].output).toContain("first-turn");
      expect(shown[1].output).toContain("second-turn");
      await until(
        "the composer unlocked after the second reply",
        () => page.getByTestId("chat-input").isEnabled(),
        (v) => v,
      );
      expect(await page.getByTestId("pending-approvals").count()).toBe(0);

      await page.reload();
      const reloaded = await until(
        "both cards after a reload",
        () => cards(page),
        (cs) => cs.length === 2 && cs.every((c) => c.status === "finished"),
      );
      expect(reloaded.map((c) => c.output?.includes("first-turn"))).toEqual([true, false]);
      expect(reloaded[1].output).toContain("second-turn");
      await shoot(page, "chat-reused-call-ids");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
