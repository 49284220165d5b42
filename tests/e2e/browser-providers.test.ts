/**
 * Providers and models in the web UI, in a real browser against a real gateway process and the
 * scripted LLM server: the model picker and `/model`, fallback notices, the Providers page and
 * its keys (which must never be shown back).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { makeTinyModel } from "../fixtures/gguf/index.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  launchBrowser,
  messages,
  newChat,
  openApp,
  settledReply,
  typeAndSend,
  until,
  type Browser,
  oneTab,
  resetBrowserRecords,
  startAll,
} from "./browser.helpers.ts";

const T = 90_000;
const PRIMARY = "openai/test-model";
const FALLBACK = "anthropic/claude-fallback";
const EXTRA = "openai/model-b";
const LOCAL = "local/tiny-llama";

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
/** Our own config dir (the fixture's is created after the gateway would have read it). */
let configDir: string;

beforeAll(async () => {
  llm = await startLlmServer();
  configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-providers-"));
  writeFileSync(
    join(configDir, "cairn.toml"),
    [
      "[providers]",
      `fallback = ["${FALLBACK}"]`,
      "[providers.openai]",
      'models = ["test-model", "model-b"]',
      // A provider without a key in the environment, served by the scripted server.
      "[providers.groq]",
      `base_url = "${llm.url}/v1"`,
      "",
    ].join("\n"),
  );
  // A local GGUF model (tiny, random weights) in the data dir's models directory.
  const dataDir = mkdtempSync(join(tmpdir(), "cairn-e2e-providers-data-"));
  await makeTinyModel(join(dataDir, "models"));
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, model: PRIMARY, dataDir, extraEnv: { CAIRN_CONFIG_DIR: configDir } }),
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
const picker = (page: Page) => page.getByTestId("model-picker");
const option = (page: Page, model: string) => page.locator(`[data-testid="model-option"][data-model="${model}"]`);

/** Sends `text` and waits for the `nth` reply to settle; returns the model request it caused. */
async function ask(page: Page, text: string, nth: number) {
  const before = llm.requests.length;
  await typeAndSend(page, text);
  const reply = await settledReply(page, nth);
  expect(reply.status, gatewayLog()).toBe("complete");
  expect(llm.requests.length).toBeGreaterThan(before);
  return llm.requests.at(-1)!;
}

describe("choosing the model", () => {
  test(
    "the picker lists enabled models by provider; choosing one sets the session's model for the next request",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      await until(
        "the picker showing the default",
        () => picker(page).textContent(),
        (t) => !!t?.includes(`default: ${PRIMARY}`),
      );

      await picker(page).click();
      await option(page, FALLBACK).waitFor();
      expect(await option(page, PRIMARY).count()).toBe(1);
      await option(page, FALLBACK).click();
      await until(
        "the picker showing the chosen model",
        () => picker(page).getAttribute("data-model"),
        (m) => m === FALLBACK,
      );

      const req = await ask(page, "Which model are you?", 1);
      expect(req.protocol).toBe("anthropic");
      expect(req.body.model).toBe("claude-fallback");

      // Back to the default.
      await picker(page).click();
      await option(page, "").click();
      await until(
        "the picker back on the default",
        () => picker(page).getAttribute("data-model"),
        (m) => m === "",
      );
      const again = await ask(page, "And now?", 2);
      expect(again.protocol).toBe("openai");
      expect(again.body.model).toBe("test-model");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "/model <id> switches, /model tells the current one, /model default resets, an unknown id is refused",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      const info = page.getByTestId("command-info");

      await typeAndSend(page, `/model ${EXTRA}`);
      await until(
        "the picker on the typed model",
        () => picker(page).getAttribute("data-model"),
        (m) => m === EXTRA,
      );
      expect(await page.getByTestId("chat-input").inputValue()).toBe("");
      // A command is not a message.
      expect(await messages(page)).toEqual([]);
      expect(llm.requests).toHaveLength(0);

      await typeAndSend(page, "/model");
      await until(
        "the current model told",
        () => info.textContent(),
        (t) => !!t?.includes(EXTRA),
      );

      const req = await ask(page, "hello", 1);
      expect(req.body.model).toBe("model-b");

      await typeAndSend(page, "/model nosuch/model-x");
      const error = page.getByTestId("error");
      await error.waitFor();
      expect(await error.getAttribute("data-code")).toBe("model_unknown");
      expect(await error.textContent()).toContain("nosuch/model-x");
      // The text comes back for editing; the session keeps its model; nothing reached the LLM.
      await expect.poll(() => page.getByTestId("chat-input").inputValue()).toBe("/model nosuch/model-x");
      expect(await picker(page).getAttribute("data-model")).toBe(EXTRA);
      expect(llm.requests).toHaveLength(1);

      await page.getByTestId("chat-input").fill("");
      await typeAndSend(page, "/model default");
      await until(
        "the picker back on the default",
        () => picker(page).getAttribute("data-model"),
        (m) => m === "",
      );
      const again = await ask(page, "hello again", 2);
      expect(again.body.model).toBe("test-model");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("local models", () => {
  test(
    "choosing a local model says tools are disabled for it, and it answers without the cloud",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      const note = page.getByTestId("local-tools-note");
      expect(await note.count()).toBe(0);

      await typeAndSend(page, `/model ${LOCAL}`);
      await until(
        "the picker on the local model",
        () => picker(page).getAttribute("data-model"),
        (m) => m === LOCAL,
      );
      expect(await note.textContent()).toBe("tools disabled for local models");

      // Random weights: the text is gibberish, so only the outcome is checked.
      await typeAndSend(page, "hello");
      expect((await settledReply(page, 1, 60_000)).status, gatewayLog()).toBe("complete");
      expect(llm.requests).toHaveLength(0);

      await typeAndSend(page, "/model default");
      await until(
        "the picker back on the default",
        () => picker(page).getAttribute("data-model"),
        (m) => m === "",
      );
      expect(await note.count()).toBe(0);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("fallback", () => {
  test(
    "a 429 from the primary shows a notice in the reply and the fallback model answers",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({ error: { status: 429, headers: { "retry-after": "7" } } }, { chunks: ["Answer", " from", " the fallback."] });
      await typeAndSend(page, "Are you there?");

      const notices = page.getByTestId("fallback-notice");
      await notices.first().waitFor({ timeout: 30_000 });
      const reply = await settledReply(page, 1);
      const texts = (await notices.allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
      expect(texts, gatewayLog()).toEqual([`↪ ${PRIMARY} was rate limited (retry in 7 s) — switched to ${FALLBACK}`]);
      expect(reply).toMatchObject({ status: "complete", text: "Answer from the fallback." });
      // The notice belongs to that reply and stays once it is complete.
      const bubble = page.locator('[data-testid="message"][data-role="assistant"]').last();
      expect(await bubble.getByTestId("fallback-notice").count()).toBe(1);
      expect(llm.requests.map((r) => [r.protocol, r.body.model, r.status])).toEqual([
        ["openai", "test-model", 429],
        ["anthropic", "claude-fallback", 200],
      ]);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("the Providers page", () => {
  const KEY = "gsk-e2e-NEVER-SHOWN-key-9876";

  test(
    "lists providers with their key state; a key set there shows as stored ••••last4 and never as text",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await page.getByTestId("settings-link").click();
      await page.getByTestId("providers-link").click();
      await until(
        "the providers route",
        async () => page.url(),
        (u) => u.endsWith("#/settings/providers"),
      );

      const card = (id: string) => page.locator(`[data-testid="provider-card"][data-provider="${id}"]`);
      await card("openai").waitFor();
      expect(await card("anthropic").count()).toBe(1);
      expect(await card("openai").getByTestId("provider-key-status").textContent()).toContain("set via OPENAI_API_KEY");
      const groq = card("groq");
      expect(await groq.getByTestId("provider-key-status").textContent()).toMatch(/missing/);

      const input = groq.getByTestId("provider-key-input");
      expect(await input.getAttribute("type")).toBe("password");
      await input.fill(KEY);
      await groq.getByTestId("provider-key-save").click();
      await until(
        "the stored key's last 4",
        () => groq.getByTestId("provider-key-status").textContent(),
        (t) => !!t?.includes("stored ••••9876"),
      );
      expect(await input.inputValue()).toBe("");

      // Nowhere in the page: markup, input values, storage. Nor in the gateway's output.
      const seen = await page.evaluate(() =>
        [
          document.documentElement.outerHTML,
          ...[...document.querySelectorAll("input")].map((i) => i.value),
          JSON.stringify(localStorage),
          JSON.stringify(sessionStorage),
        ].join("\n"),
      );
      expect(seen).not.toContain(KEY);
      expect(seen).not.toContain("NEVER-SHOWN");
      expect(gw.output()).not.toContain("NEVER-SHOWN");
      // A reload shows the same: the key stays on the gateway.
      await page.reload();
      await until(
        "the stored key after a reload",
        () => card("groq").getByTestId("provider-key-status").textContent(),
        (t) => !!t?.includes("stored ••••9876"),
      );
      expect(await page.content()).not.toContain("NEVER-SHOWN");
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "Refresh checks the providers again; enabling models offers them in the picker",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/providers");
      const openai = page.locator('[data-testid="provider-card"][data-provider="openai"]');
      await openai.waitFor();

      await page.getByTestId("provider-refresh").click();
      await until(
        "the refresh to finish",
        () => page.getByTestId("provider-refresh").isEnabled(),
        (v) => v,
      );
      expect(await openai.getByTestId("provider-reachable").textContent()).not.toContain("not checked");

      const box = openai.locator(`[data-testid="provider-model-checkbox"][data-model="${EXTRA}"]`);
      await box.waitFor();
      if (await box.isChecked()) await box.uncheck();
      else await box.check();
      const want = await box.isChecked();
      await openai.getByTestId("enable-models").click();
      const outcome = openai.locator('[role="status"], [role="alert"]');
      await outcome.first().waitFor();
      expect(await outcome.allTextContents()).toEqual([expect.stringMatching(/offered in the picker/)]);

      // The picker of a chat follows.
      await page.goto(`${gw.url}/#/`);
      await newChat(page);
      await picker(page).click();
      await until(
        "the picker's options",
        () => option(page, PRIMARY).count(),
        (n) => n === 1,
      );
      expect(await option(page, EXTRA).count()).toBe(want ? 1 : 0);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("usage", () => {
  test(
    "the chat header shows the session's token totals",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({ chunks: ["One", " two"], usage: { inputTokens: 1234, outputTokens: 56, cacheReadTokens: 1000 } });
      await typeAndSend(page, "count tokens");
      await settledReply(page, 1);
      const usage = page.getByTestId("session-usage");
      // The run count moves when a run starts, its tokens when it ends: wait for the end's totals.
      // The cost is asked for after the totals move; this test model has no price, so it says so
      // rather than showing "$0".
      const unpriced = "; cost unknown (no price for anthropic/claude-fallback)";
      await until(
        "the first reply's totals and cost",
        () => usage.getAttribute("title"),
        (t) => t === `Tokens in this chat: 1234 input, 56 output, 1000 cache read, 0 cache write (1 reply)${unpriced}`,
      );
      expect((await usage.textContent())?.replace(/\s+/g, " ").trim()).toBe("1.2k in · 56 out · 1k cached");

      // A second reply adds to the totals.
      llm.script({ chunks: ["Three"], usage: { inputTokens: 2000, outputTokens: 4 } });
      await typeAndSend(page, "and again");
      await settledReply(page, 2);
      await until(
        "the totals of both replies",
        () => usage.getAttribute("title"),
        (t) => t === `Tokens in this chat: 3234 input, 60 output, 1000 cache read, 0 cache write (2 replies)${unpriced}`,
      );
      expect(await page.getByTestId("session-cost").count()).toBe(0);
    },
    T,
  );
});
