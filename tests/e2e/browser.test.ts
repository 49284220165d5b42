/**
 * The web UI in a real browser (Debian's chromium via playwright-core) against a real gateway
 * process and the scripted LLM server: what a person using cairn sees and relies on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { NO_MODEL_HINT } from "../../actors/llm/index.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  freePort,
  launchBrowser,
  messages,
  newChat,
  openApp,
  sessionKeyOf,
  settledReply,
  typeAndSend,
  until,
  waitForConnection,
  watchReply,
  type Browser,
  oneTab,
  resetBrowserRecords,
  startAll,
} from "./browser.helpers.ts";

const SCREENSHOT = "/tmp/cairn-e2e.png";
const T = 90_000;

let browser: Browser;
let llm: LlmServer;
/** Has a model pointed at `llm`, on a fixed port so a restart comes back at the same address. */
let gw: GatewayProc;
/** Has no model at all. */
let bare: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const port = await freePort();
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_PORT: String(port) } }),
    startGatewayProc({ model: null }),
    launchBrowser(),
  );
  [gw, bare, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), bare?.dispose(), llm?.close()]);
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

const gatewayLog = () => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;

describe("chatting in the web UI", () => {
  const FIRST = "What is a cairn?";
  const CHUNKS = ["A cairn", " is a", " pile of", " stones", " marking", " a trail."];
  const REPLY = CHUNKS.join("");
  let page: Page;
  let key: string;

  test(
    "a message sent with Enter shows at once, the reply streams in and completes, the session is listed",
    async () => {
      page = await oneTab(browser);
      await openApp(page, gw.url);
      key = await newChat(page);
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("chat-input");

      llm.script({ chunks: CHUNKS, chunkDelayMs: 250 });
      await typeAndSend(page, FIRST);

      // The user's bubble appears, and the composer is emptied.
      await until(
        "the user message",
        () => messages(page),
        (ms) => ms.some((m) => m.role === "user" && m.text === FIRST),
      );
      expect(await page.getByTestId("chat-input").inputValue()).toBe("");

      // An intermediate state: streaming, with part (and only part) of the reply.
      const partial = await watchReply(page, REPLY);
      expect(REPLY.startsWith(partial.text), `partial text "${partial.text}"`).toBe(true);

      const shown = await messages(page);
      expect(shown.map((m) => [m.role, m.status, m.text])).toEqual([
        ["user", "complete", FIRST],
        ["assistant", "complete", REPLY],
      ]);
      // The model got what the user typed.
      expect(llm.requests.at(-1)?.body.messages.at(-1)).toMatchObject({ role: "user", content: FIRST });

      // The composer is usable again, with the focus back in it.
      await expect.poll(() => page.getByTestId("chat-input").isEnabled()).toBe(true);
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("chat-input");

      // The sidebar lists the session, marked as the open one, with both messages counted.
      const item = page.locator(`[data-testid="session-item"][data-key="${key}"]`);
      await item.waitFor();
      expect(await item.getAttribute("aria-current")).toBe("page");
      // Titled after the first message, here and in the header.
      await expect.poll(() => item.textContent(), { timeout: 10_000 }).toMatch(/What is a cairn\?[\s\S]*2 messages/);
      expect(await page.getByTestId("session-title").textContent()).toBe(FIRST);

      await page.screenshot({ path: SCREENSHOT });
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "a reload opens the same session from the URL and shows the same history",
    async () => {
      expect(key, "needs the session of the previous test").toBeTruthy();
      const before = await messages(page);
      await page.reload();
      await waitForConnection(page, ["connected"]);
      expect(sessionKeyOf(page)).toBe(key);
      await until(
        "the history after the reload",
        () => messages(page),
        (ms) => ms.length === before.length,
      );
      expect(await messages(page)).toEqual(before);
      const item = page.locator(`[data-testid="session-item"][data-key="${key}"]`);
      await item.waitFor();
      expect(await item.getAttribute("aria-current")).toBe("page");
      // Nothing new reached the model: the history came from the gateway's read model.
      expect(llm.requests).toHaveLength(0);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "a reload in the middle of a reply shows the text so far and follows it to the end",
    async () => {
      expect(key, "needs the session of the first test").toBeTruthy();
      const chunks = Array.from({ length: 12 }, (_, i) => ` part${i}`);
      const full = chunks.join("").trim();
      llm.script({ chunks, chunkDelayMs: 300 });
      await typeAndSend(page, "Tell me more");
      const before = await until(
        "a partial second reply",
        () => messages(page),
        (ms) => {
          const r = ms[3];
          return ms.length === 4 && r.status === "streaming" && r.text.split(" ").length >= 3;
        },
      );

      await page.reload();
      await waitForConnection(page, ["connected"]);
      // Straight after the reload: the reply is still streaming, with at least what was there.
      const after = await until(
        "the partial reply after the reload",
        () => messages(page),
        (ms) => ms.length === 4 && ms[3].text.length >= before[3].text.length,
      );
      expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
      expect(after[3].status).toBe("streaming");
      expect(after[3].text.startsWith(before[3].text), `"${after[3].text}" continues "${before[3].text}"`).toBe(true);
      // The page knows the reply is still running: Stop, and the composer queues (issue 20).
      expect(await page.getByTestId("stop").count()).toBe(1);

      const done = await settledReply(page, 2);
      expect(done).toEqual({ role: "assistant", status: "complete", text: full });
      expect((await messages(page)).length).toBe(4);
      // One model call: reloading neither re-sent the message nor restarted the reply.
      expect(llm.requests).toHaveLength(1);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("what the assistant says is rendered safely", () => {
  test(
    "markdown shows as bold and code; an injected <img onerror> neither survives nor runs",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({
        chunks: [
          "Here is **bo",
          "ld** text.\n\n```js\nconst x",
          " = 1;\n```\n\n",
          "<img src=x onerror=alert(1)>",
          " and <script>alert(2)</script> done.",
        ],
        chunkDelayMs: 50,
      });
      // The user's own text is never interpreted: shown exactly as typed.
      const userText = "Show me **markdown** <b>please</b>";
      await typeAndSend(page, userText);
      const reply = await settledReply(page);
      expect(reply.status).toBe("complete");

      const md = page.locator('[data-testid="message"][data-role="assistant"] .md').last();
      expect(await md.locator("strong").textContent()).toBe("bold");
      expect(await md.locator("pre code").textContent()).toContain("const x = 1;");
      const user = page.locator('[data-testid="message"][data-role="user"]').last();
      expect(await user.locator(".plain").textContent()).toBe(userText);
      expect(await user.locator("b, strong").count()).toBe(0);

      // Any image that is left has finished loading (and failing), so an onerror would have run.
      await expect.poll(() => md.locator("img").evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete))).toBe(true);
      const unsafe = await page.evaluate(() => ({
        handlers: [...document.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith("on")))
          .length,
        scripts: document.querySelectorAll(".md script").length,
      }));
      expect(unsafe).toEqual({ handlers: 0, scripts: 0 });
      expect(browser.dialogs).toEqual([]);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("when the model provider fails", () => {
  test(
    "a 401 from the provider shows the reply as failed with a readable error",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      llm.script({ error: { status: 401 } });
      await typeAndSend(page, "Hello?");

      const reply = await settledReply(page);
      expect(reply.status, gatewayLog()).toBe("failed");
      const problem = page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId("message-error");
      const text = (await problem.textContent())?.replace(/\s+/g, " ").trim() ?? "";
      // "Failed: <code> <message>": a stable code and a sentence a person can act on.
      expect(text).toMatch(/^Failed: [a-z_]+ \S.{10,}/);
      expect(text).toMatch(/auth|key|401|unauthori[sz]ed/i);
      // Never the key itself.
      expect(text).not.toContain("sk-test-key");
      // The user's message stays, and the composer works again for a retry.
      expect((await messages(page)).filter((m) => m.role === "user").map((m) => m.text)).toEqual(["Hello?"]);
      await expect.poll(() => page.getByTestId("chat-input").isEnabled()).toBe(true);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("two tabs on the same session", () => {
  test(
    "a message sent in one tab streams into the other",
    async () => {
      const a = await oneTab(browser);
      await openApp(a, gw.url);
      const key = await newChat(a);
      const b = await browser.context.newPage();
      await openApp(b, gw.url, `#/s/${key}`);
      await until("tab B's empty chat", () => b.getByText("What can I help with?").isVisible(), Boolean);

      const chunks = ["Echo", " from", " the", " other", " tab", "."];
      llm.script({ chunks, chunkDelayMs: 250 });
      await a.bringToFront();
      await typeAndSend(a, "Seen from both tabs?");

      const full = chunks.join("");
      const [partialB] = await Promise.all([watchReply(b, full), watchReply(a, full)]);
      expect(full.startsWith(partialB.text)).toBe(true);
      await until(
        "tab B showing both messages",
        () => messages(b),
        (ms) => ms.length === 2,
      );
      const expected = [
        ["user", "complete", "Seen from both tabs?"],
        ["assistant", "complete", full],
      ];
      expect((await messages(b)).map((m) => [m.role, m.status, m.text])).toEqual(expected);
      expect((await messages(a)).map((m) => [m.role, m.status, m.text])).toEqual(expected);
      // Tab B learned of the session too.
      await b.locator(`[data-testid="session-item"][data-key="${key}"]`).waitFor();
      await b.close();
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("the connection to the gateway", () => {
  test("a killed gateway shows as lost; once it is back the pill says connected and chat works again", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    const key = await newChat(page);
    llm.script({ chunks: ["before", " the crash"] });
    await typeAndSend(page, "one");
    expect((await settledReply(page, 1)).status).toBe("complete");

    await gw.kill("SIGKILL");
    await waitForConnection(page, ["reconnecting", "error"]);
    // The pill explains itself to assistive technology and on hover.
    expect(await page.getByTestId("connection-status").getAttribute("title")).toMatch(/unavailable/);

    await gw.restart();
    await waitForConnection(page, ["connected"], 30_000);
    expect(sessionKeyOf(page)).toBe(key);

    llm.script({ chunks: ["after", " the", " restart"], chunkDelayMs: 100 });
    await typeAndSend(page, "two");
    expect(await settledReply(page, 2)).toEqual({ role: "assistant", status: "complete", text: "after the restart" });
    expect((await messages(page)).map((m) => [m.role, m.text])).toEqual([
      ["user", "one"],
      ["assistant", "before the crash"],
      ["user", "two"],
      ["assistant", "after the restart"],
    ]);
    expect(browser.pageErrors).toEqual([]);
  }, 120_000);
});

describe("with no model configured", () => {
  test(
    "a banner says what to configure, and sending is refused with model_not_configured",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, bare.url);
      const hint = page.getByTestId("model-hint");
      await hint.waitFor();
      expect(await hint.textContent()).toBe(NO_MODEL_HINT);

      await typeAndSend(page, "Anyone there?");
      const error = page.getByTestId("error");
      await error.waitFor();
      expect(await error.getAttribute("data-code")).toBe("model_not_configured");
      expect(await error.textContent()).toContain("model_not_configured");
      // The refused text comes back for editing; no bubble pretends it was sent or answered.
      await expect.poll(() => page.getByTestId("chat-input").inputValue()).toBe("Anyone there?");
      expect(await messages(page)).toEqual([]);
      expect(await hint.isVisible()).toBe(true);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
