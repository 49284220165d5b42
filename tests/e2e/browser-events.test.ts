/**
 * The log made visible, in a real browser against a real gateway and the scripted LLM: "show
 * events" from a tool card and from a reply, the explorer's filters, an event's JSON and causation
 * tree, a chat's Activity panel updating live, and the timeline scrubber moving back and forth and
 * back to live.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import {
  openHeaderMenu,
  launchBrowser,
  messages,
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

const T = 120_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
let page: Page;
/** The chat the tests share (`#/s/<key>`). */
let chatUrl: string;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(startGatewayProc({ llmBaseUrl: llm.url }), launchBrowser());
  [gw, browser] = started;
  if (failure) throw failure;
  page = await oneTab(browser);
  await openApp(page, gw.url);
  await newChat(page);
  chatUrl = page.url();
  llm.script(
    { chunks: ["Noting it."], toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "n.md", content: "stones\n" }) }] },
    { chunks: ["Saved."] },
  );
  await typeAndSend(page, "note stones");
  const reply = await settledReply(page);
  if (reply.status !== "complete") throw new Error(`the first reply did not complete: ${gw.output().slice(-3000)}`);
}, T);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

beforeEach(() => resetBrowserRecords(browser));

const rowTypes = (p: Page) => p.getByTestId("event-row").evaluateAll((els) => els.map((el) => el.getAttribute("data-type") ?? ""));

/** Screenshots (with CAIRN_SHOTS) in light and dark. */
const shootBoth = async (name: string) => {
  await shoot(page, name);
  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
};

describe("events explorer", () => {
  test(
    "a tool card's 'events' opens that call's events; an event shows its JSON and its causation tree",
    async () => {
      await page.getByTestId("tool-card").first().getByTestId("tool-events").click();
      await until(
        "the explorer filtered by run and call",
        async () => page.url(),
        (u) => /#\/events\?run=[^&]+&call=/.test(u),
      );
      const types = await until(
        "the call's events",
        () => rowTypes(page),
        (ts) => ts.includes("run.tool_call_requested"),
      );
      // Only this call's events: its request, its start and result, and an approval's if one was asked.
      expect(types.every((t) => t.startsWith("run.tool_") || t.startsWith("approval."))).toBe(true);

      await page.locator('[data-testid="event-row"][data-type="run.tool_call_requested"]').click();
      const json = page.getByTestId("event-json");
      await until(
        "the event's JSON",
        async () => (await json.textContent()) ?? "",
        (t) => t.includes('"callId"'),
      );
      expect(await json.textContent()).toContain('"write_file"');
      const tree = page.getByTestId("event-chain");
      const nodes = await until(
        "the causation tree",
        () => tree.getByTestId("chain-node").evaluateAll((els) => els.map((el) => el.getAttribute("data-type"))),
        (ts) => ts.includes("run.tool_call_requested"),
      );
      expect(nodes.length).toBeGreaterThan(1);
      await expect(tree.locator("li.current").first().getAttribute("data-type")).resolves.toBe("run.tool_call_requested");
      await shootBoth("events-call");

      // Following the tree: picking another node shows that event instead.
      const other = tree.locator('[data-testid="chain-node"]:not(.current) > button').first();
      await other.click();
      await until(
        "another event picked",
        () => tree.locator("li.current").first().getAttribute("data-type"),
        (t) => t !== "run.tool_call_requested",
      );

      await page.goto(chatUrl);
      await until(
        "the chat again",
        () => page.getByTestId("tool-card").count(),
        (n) => n > 0,
      );
    },
    T,
  );

  test(
    "filters: by type prefix from the form, then cleared; a reply's 'Events' opens its run",
    async () => {
      await page.locator('[data-testid="message"][data-role="assistant"]').last().hover();
      await page.getByTestId("message-events").last().click();
      await until(
        "the explorer filtered by run",
        async () => page.url(),
        (u) => /#\/events\?run=/.test(u),
      );
      const runTypes = await until(
        "the run's events",
        () => rowTypes(page),
        (ts) => ts.includes("run.started"),
      );
      expect(runTypes.every((t) => t.startsWith("run.") || t.startsWith("approval."))).toBe(true);

      await page.getByTestId("events-clear").click();
      await page.locator('input[name="type"]').fill("session.");
      await page.getByTestId("events-apply").click();
      const sessionTypes = await until(
        "session events only",
        () => rowTypes(page),
        (ts) => ts.length > 0 && ts.every((t) => t.startsWith("session.")),
      );
      expect(sessionTypes).toContain("session.user_message");
      await page.getByTestId("events-clear").click();
      const all = await until(
        "every event",
        () => rowTypes(page),
        (ts) => ts.some((t) => t.startsWith("run.")) && ts.some((t) => t.startsWith("session.")),
      );
      expect(all.length).toBeGreaterThan(sessionTypes.length);
      await shootBoth("events-page");
    },
    T,
  );
});

describe("in the chat", () => {
  test(
    "Activity shows this chat's events and follows new ones live",
    async () => {
      await page.goto(chatUrl);
      await until(
        "the chat",
        () => page.getByTestId("activity-toggle").count(),
        (n) => n === 1,
      );
      await openHeaderMenu(page);
      await page.getByTestId("activity-toggle").click();
      const panel = page.getByTestId("activity-panel");
      const before = await until(
        "the chat's events",
        () => panel.getByTestId("event-row").count(),
        (n) => n > 3,
      );
      await shootBoth("events-activity");
      llm.script({ chunks: ["Second answer."] });
      // The panel covers part of the composer on a narrow window: type without clicking through it.
      const input = page.getByTestId("chat-input");
      await input.fill("and again");
      await input.press("Enter");
      const after = await until(
        "the new turn's events in the panel",
        () => panel.getByTestId("event-row").evaluateAll((els) => els.map((el) => el.getAttribute("data-type"))),
        (ts) => ts.length > before && ts.slice(before).includes("session.run_ended"),
      );
      expect(after.slice(before)).toContain("session.user_message");
      await panel.getByRole("button", { name: "Close activity" }).click();
      await until(
        "the panel closed",
        () => panel.count(),
        (n) => n === 0,
      );
      await settledReply(page, 2);
    },
    T,
  );

  test(
    "the timeline scrubber shows the chat as it was at each event, and goes back to live",
    async () => {
      const live = (await messages(page)).length;
      expect(live).toBeGreaterThanOrEqual(2);
      await openHeaderMenu(page);
      await page.getByTestId("timeline-toggle").click();
      const slider = page.getByTestId("timeline-slider");
      const max = Number(
        await until(
          "the scrubber's range",
          () => slider.getAttribute("max"),
          (m) => Number(m) > live,
        ),
      );
      const shown = () => page.getByTestId("message").count();
      const seqShown = () => page.getByTestId("timeline-position").getAttribute("data-seq");
      await until("the latest point shows every message", shown, (n) => n === live);
      expect(await page.getByTestId("chat-input").isDisabled()).toBe(true);

      await slider.fill("0");
      await until(
        "the first event: no messages yet",
        () => page.getByTestId("timeline-empty").count(),
        (n) => n === 1,
      );
      const first = await seqShown();
      await page.getByTestId("timeline-next").click();
      await until("the next event", seqShown, (s) => s !== first);
      const counts: number[] = [];
      for (let i = 0; i <= max; i += 1) {
        await slider.fill(String(i));
        await until(
          `event ${i + 1}`,
          () => page.getByTestId("timeline-position").textContent(),
          (t) => (t ?? "").includes(`event ${i + 1} of`),
        );
        counts.push(await page.locator('[data-testid="message"]').count());
      }
      // Forward in time the conversation only grows, from nothing to all of it.
      expect(counts[0]).toBe(0);
      expect(counts.at(-1)).toBe(live);
      expect(counts.every((n, i) => i === 0 || n >= counts[i - 1])).toBe(true);
      await slider.fill(String(Math.floor(max / 2)));
      await until(
        "half way",
        () => page.getByTestId("timeline-position").textContent(),
        (t) => (t ?? "").includes(`event ${Math.floor(max / 2) + 1} of`),
      );
      await shootBoth("events-timeline");
      await page.getByTestId("timeline-prev").click();
      await until(
        "one back",
        () => page.getByTestId("timeline-position").textContent(),
        (t) => (t ?? "").includes(`event ${Math.floor(max / 2)} of`),
      );

      await page.getByTestId("timeline-live").click();
      await until(
        "live again",
        () => page.getByTestId("timeline").count(),
        (n) => n === 0,
      );
      expect(await shown()).toBe(live);
      expect(await page.getByTestId("chat-input").isDisabled()).toBe(false);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
