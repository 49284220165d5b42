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
  freePort,
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
  waitForConnection,
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
  // A fixed port, so a restarted gateway comes back at the same address.
  const port = await freePort();
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir, CAIRN_PORT: String(port) } }),
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
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, "chat-reused-call-ids-dark");
      await page.emulateMedia({ colorScheme: null });
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("messages", () => {
  test(
    "a code block is highlighted (the highlighter loaded lazily), labelled with its language, and its Copy button copies the code",
    async () => {
      const page = await oneTab(browser);
      await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
      await openApp(page, gw.url);
      // The highlighter is not part of the first load.
      const firstLoad = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
      expect(firstLoad.some((n) => /\/assets\/common-/.test(n))).toBe(false);
      await newChat(page);
      const code = 'def greet(name):\n    return f"hi {name}"';
      llm.script({ chunks: ["Here it is:\n\n", "```python\n", `${code}\n`, "```\n\nDone."] });
      await typeAndSend(page, "write python");
      expect((await settledReply(page)).status, gatewayLog()).toBe("complete");
      const block = page.locator(".code-block").last();
      expect(await block.locator(".code-lang").textContent()).toBe("python");
      await until(
        "highlighted tokens",
        () => block.locator(".hljs-keyword").count(),
        (n) => n > 0,
      );
      await block.getByRole("button", { name: "Copy" }).click();
      await until(
        "the code on the clipboard",
        () => page.evaluate(() => navigator.clipboard.readText()),
        (t) => t === code,
      );
      // Copying the whole message gives its markdown source.
      await page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId("copy-message").click();
      await until(
        "the message on the clipboard",
        () => page.evaluate(() => navigator.clipboard.readText()),
        (t) => t.startsWith("Here it is:") && t.includes("```python") && t.endsWith("Done."),
      );
      await shoot(page, "chat-code-block");
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, "chat-code-block-dark");
      await page.emulateMedia({ colorScheme: null });
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "a non-zero exit code is not a green 'finished', and a denied call says denied (and who denied it)",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({ toolCalls: [execCall("call_x", "echo oops >&2; exit 3")] }, { chunks: ["It failed."] });
      await typeAndSend(page, "fail please");
      await approvePending(page);
      await settledReply(page, 1);
      const card = page.getByTestId("tool-card").last();
      await until(
        "the exit code shown",
        () => card.getAttribute("data-outcome"),
        (o) => o === "nonzero",
      );
      expect(await card.getByTestId("tool-status").textContent()).toMatch(/^exit 3/);

      llm.script({ toolCalls: [execCall("call_x", "rm -rf notes")] }, { chunks: ["OK, not deleting."] });
      await typeAndSend(page, "delete notes");
      const pending = page.locator('[data-testid="approval-card"][data-status="pending"]');
      await until(
        "the approval pending",
        () => pending.count(),
        (n) => n === 1,
        30_000,
      );
      // While the run waits, the composer says so.
      expect(await page.getByTestId("chat-input").getAttribute("placeholder")).toMatch(/approval/);
      const approvalId = await pending.getAttribute("data-approval-id");
      await pending.getByTestId("approval-deny").click();
      await page.getByTestId("approval-deny-confirm").click();
      await settledReply(page, 2);
      // By its approval, not as the last card: while the reply moves into the history its card is
      // re-rendered, and `.last()` read in that instant is the first turn's (approved) card.
      const denied = page.getByTestId("tool-card").filter({ has: page.locator(`[data-approval-id="${approvalId}"]`) });
      await until(
        "the call shown as denied",
        () => denied.getAttribute("data-outcome"),
        (o) => o === "denied",
      );
      expect(await denied.getByTestId("tool-status").textContent()).toBe("denied");
      expect(await denied.getByTestId("approval-outcome").textContent()).toMatch(/Denied by you \(on this machine\)/);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "while a reply streams the composer takes the next message and sends it when the reply ends",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({ chunks: Array.from({ length: 30 }, (_, i) => `w${i} `), chunkDelayMs: 60 }, { chunks: ["Second answer."] });
      await typeAndSend(page, "first");
      await until(
        "the reply streaming",
        () => page.getByTestId("stop").count(),
        (n) => n === 1,
      );
      expect(await page.getByTestId("chat-input").isEnabled()).toBe(true);
      await typeAndSend(page, "second, queued");
      expect(await page.getByTestId("queued").textContent()).toContain("second, queued");
      const second = await settledReply(page, 2);
      expect(second.text, gatewayLog()).toBe("Second answer.");
      expect(await page.getByTestId("queued").count()).toBe(0);
      const users = (await page.locator('[data-testid="message"][data-role="user"]').allTextContents()).map((t) => t.trim());
      expect(users.some((t) => t.startsWith("second, queued"))).toBe(true);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "Retry on a failed reply asks again in place; Edit sends the edited message in a new branch",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      const key = await newChat(page);
      llm.script({ error: { status: 400, message: "bad things" } }, { chunks: ["Now it works."] });
      await typeAndSend(page, "try me");
      const failed = await settledReply(page, 1);
      expect(failed.status).toBe("failed");
      await page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId("retry").click();
      expect((await settledReply(page, 2)).text, gatewayLog()).toBe("Now it works.");
      expect(llm.requests.at(-1)?.body.messages.at(-1).content).toBe("try me");

      llm.script({ chunks: ["Edited answer."] });
      await page.locator('[data-testid="message"][data-role="user"]').first().getByTestId("edit-message").click();
      await page.getByTestId("edit-input").fill("try me, edited");
      await page.getByTestId("edit-send").click();
      await until(
        "a new branch open",
        async () => /#\/s\/([^/?#]+)$/.exec(page.url())?.[1] ?? null,
        (k) => k !== null && k !== key,
      );
      expect((await settledReply(page, 1)).text, gatewayLog()).toBe("Edited answer.");
      const sent = llm.requests.at(-1)?.body.messages.filter((m: { role: string }) => m.role === "user");
      expect(sent.map((m: { content: string }) => m.content)).toEqual(["try me, edited"]);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

// Last: it stops the gateway.
describe("connection states", () => {
  test("gateway gone: a banner pauses sending and says what happens to queued messages; a reload shows cairn's own page; back: the banner and stale errors go", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    await newChat(page);
    llm.script({ chunks: ["Hello."] });
    await typeAndSend(page, "hi");
    await settledReply(page, 1);
    // A stale error from before the outage.
    await typeAndSend(page, "/model no-such/model");
    await until(
      "an error shown",
      () => page.getByTestId("error").count(),
      (n) => n === 1,
    );
    // The offline shell is installed (a secure context: 127.0.0.1).
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

    await gw.kill("SIGTERM");
    await until(
      "the offline banner",
      () => page.getByTestId("offline-banner").count(),
      (n) => n === 1,
    );
    expect(await page.getByTestId("offline-banner").textContent()).toMatch(/Sending is paused/);
    await page.getByTestId("chat-input").fill("typed while offline");
    expect(await page.getByTestId("send").isDisabled()).toBe(true);
    expect(await page.getByTestId("chat-input").getAttribute("placeholder")).toMatch(/Offline/);
    await shoot(page, "chat-offline");

    // Back: the banner goes, and so does the error from before the outage (same page, no reload).
    await gw.restart();
    await until(
      "the banner gone after reconnecting",
      () => page.getByTestId("offline-banner").count(),
      (n) => n === 0,
      60_000,
    );
    await until(
      "the stale error gone",
      () => page.getByTestId("error").count(),
      (n) => n === 0,
    );
    expect(await page.getByTestId("send").isEnabled()).toBe(true);

    // A reload while the gateway is down: cairn's own page (the cached shell), not the browser's.
    await gw.kill("SIGTERM");
    await waitForConnection(page, ["reconnecting", "error"]);
    await page.reload();
    await until(
      "the offline banner after a reload",
      () => page.getByTestId("offline-banner").count(),
      (n) => n === 1,
    );
    expect(await page.title()).toMatch(/cairn/);
    await gw.restart();
    await waitForConnection(page, ["connected"], 60_000);
    expect(browser.pageErrors).toEqual([]);
  }, 120_000);
});
