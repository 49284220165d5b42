/**
 * Agent tools in the web UI, in a real browser against a real gateway process and the scripted
 * LLM server: tool cards, live output, Stop, forks in the sidebar, and the sandbox shown to the
 * user. Approvals are in browser-approvals.test.ts.
 */
import { describe, expect, test } from "vitest";
import {
  openHeaderMenu,
  lastAssistant,
  messages,
  newChat,
  oneTab,
  openApp,
  sessionKeyOf,
  settledReply,
  typeAndSend,
  until,
} from "./browser.helpers.ts";
import { approvalStatus, cards, execCall, gatewayLog, replyLayout } from "./browser-tools.helpers.ts";
import { useBrowserSuite } from "./browser.suite.ts";

const T = 90_000;

const s = useBrowserSuite({
  prefix: "cairn-e2e-tools-",
  // Every command asks; commands run unconfined, which the UI must say loudly.
  toml: ["[tools.exec]", 'approval_mode = "always"', "[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"),
});

describe("tool cards", () => {
  test(
    "a tool call shows as a card between the text before and after it, ends finished with its result, and survives a reload",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);
      s.llm.script(
        {
          chunks: ["Let me write", " that down."],
          toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "notes/todo.md", content: "- buy stones\n" }) }],
        },
        { chunks: ["Saved your list."] },
      );
      await typeAndSend(page, "write my todo list");

      const [card] = await until(
        "a finished write_file card",
        () => cards(page),
        (cs) => cs[0]?.status === "finished",
      );
      expect(card.name).toBe("write_file");
      expect(card.args).toContain("notes/todo.md");
      expect(card.output).not.toBeNull();
      const reply = await settledReply(page);
      expect(reply.status, gatewayLog(s.gw)).toBe("complete");
      expect(await replyLayout(page)).toEqual(["text:Let me write that down.", "tool:write_file", "text:Saved your list."]);

      // After a reload the card comes back from the gateway, still finished with its result.
      await page.reload();
      const again = await until(
        "the card after a reload",
        () => cards(page),
        (cs) => cs.length === 1 && cs[0].status === "finished",
      );
      expect(again[0].output).toBe(card.output);
      expect((await lastAssistant(page))?.text).toContain("Saved your list.");
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("live output", () => {
  test(
    "a running command's output shows on its card while it runs; the result replaces it",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);
      const command = "echo live-first; sleep 2; echo live-second";
      s.llm.script({ toolCalls: [execCall(command)] }, { chunks: ["Watched."] });
      await typeAndSend(page, "run it");
      await until(
        "the approval card pending",
        () => approvalStatus(page),
        (s) => s === "pending",
        30_000,
      );
      await page.getByTestId("approval-approve").click();
      // The first line shows while the command still runs (the second comes 2 s later).
      const seen = await until(
        "live output while running",
        async () => ({
          live: await page
            .getByTestId("tool-live-output")
            .textContent({ timeout: 5_000 })
            .catch(() => null),
          status: (await cards(page))[0]?.status,
        }),
        (v) => v.live?.includes("live-first") === true,
      );
      expect(seen.status).toBe("started");
      expect(seen.live).not.toContain("live-second");
      const [done] = await until(
        "the command finished",
        () => cards(page),
        (cs) => cs[0]?.status === "finished",
      );
      expect(done.output).toContain("live-second");
      expect(await page.getByTestId("tool-live-output").count()).toBe(0);
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("stopping a reply", () => {
  test(
    "while a reply streams the send button is Stop; Stop (and Esc) cancel it and the message says cancelled",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);

      for (const how of ["button", "escape"] as const) {
        s.llm.script({ hang: { chunkIntervalMs: 50, text: "stone " } });
        await typeAndSend(page, `talk forever (${how})`);
        await until(
          "the reply streaming",
          () => lastAssistant(page),
          (m) => m?.status === "streaming" && m.text.length > 0,
        );
        if (how === "button") await page.getByTestId("stop").click();
        else await page.keyboard.press("Escape");
        const nth = how === "button" ? 1 : 2;
        const reply = await settledReply(page, nth);
        expect(reply.status, gatewayLog(s.gw)).toBe("cancelled");
        expect(reply.text).toContain("stone");
        await page
          .locator('[data-testid="message"][data-role="assistant"]')
          .nth(nth - 1)
          .getByTestId("message-cancelled")
          .waitFor();
        await until(
          "Send is back",
          () => page.getByTestId("send").count(),
          (n) => n === 1,
        );
      }
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("forks and sessions", () => {
  test(
    "Fork opens a branch nested under its chat with fork@N; fork from a message; deleting the parent keeps the fork, top-level",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      const parent = await newChat(page);
      s.llm.script({ chunks: ["First answer."] }, { chunks: ["Second answer."] });
      await typeAndSend(page, "first question");
      await settledReply(page, 1);
      await typeAndSend(page, "second question");
      await settledReply(page, 2);

      await openHeaderMenu(page);
      await page.getByTestId("fork-session").click();
      await page.getByTestId("fork-label").fill("other idea");
      await page.getByTestId("fork-confirm").click();
      const fork = await until(
        "the fork open",
        async () => sessionKeyOf(page),
        (k) => k !== null && k !== parent,
      );
      const item = page.locator(`[data-testid="session-item"][data-key="${fork}"]`);
      await until(
        "the fork nested under its parent",
        () => item.getAttribute("data-parent", { timeout: 5_000 }),
        (p) => p === parent,
      );
      expect(await item.getAttribute("data-depth")).toBe("1");
      expect(await item.getByTestId("fork-point").textContent()).toContain("fork@4");
      expect(await item.textContent()).toContain("other idea");
      // The fork holds the conversation so far.
      await until(
        "the fork's messages",
        () => messages(page),
        (ms) => ms.length === 4,
      );

      // Fork from the first reply: the branch holds two messages.
      await page.locator(`[data-testid="session-item"][data-key="${parent}"]`).click();
      await until(
        "the parent open",
        async () => sessionKeyOf(page),
        (k) => k === parent,
      );
      await until(
        "the parent's messages",
        () => messages(page),
        (ms) => ms.length === 4,
      );
      const firstReply = page.locator('[data-testid="message"]').nth(1);
      await firstReply.hover();
      await firstReply.getByTestId("fork-here").click();
      const early = await until(
        "the second fork open",
        async () => sessionKeyOf(page),
        (k) => k !== null && k !== parent && k !== fork,
      );
      const earlyItem = page.locator(`[data-testid="session-item"][data-key="${early}"]`);
      await until(
        "fork@2 in the sidebar",
        () => earlyItem.getByTestId("fork-point").textContent({ timeout: 5_000 }),
        (t) => !!t?.includes("fork@2"),
      );
      await until(
        "the early fork's messages",
        () => messages(page),
        (ms) => ms.length === 2,
      );

      // Delete the parent (from its actions, with the inline confirmation): its forks stay, at the top level, marked.
      const parentItem = page.locator(`[data-testid="session-row"][data-key="${parent}"]`);
      await parentItem.getByTestId("session-actions").click();
      await parentItem.getByTestId("session-delete").click();
      await parentItem.getByTestId("session-delete-confirm").click();
      await until(
        "the parent gone",
        () => page.locator(`[data-testid="session-item"][data-key="${parent}"]`).count(),
        (n) => n === 0,
      );
      expect(await item.getAttribute("data-depth")).toBe("0");
      expect(await item.getByTestId("fork-icon").count()).toBe(1);
      expect(s.browser.dialogs).toEqual([]);
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("the sandbox", () => {
  test(
    "the header shows the backend, commands running unconfined get a loud warning, and a chat can pick its own backend",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);
      await page.getByTestId("sandbox-warning").waitFor();
      const badge = page.getByTestId("sandbox-badge");
      expect(await badge.getAttribute("data-backend")).toBe("none");
      const offered = await page
        .getByTestId("sandbox-select")
        .locator("option")
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(offered[0]).toBe(""); // the configured default
      expect(offered).toContain("auto");

      if (offered.includes("bubblewrap")) {
        await openHeaderMenu(page);
        await page.getByTestId("sandbox-select").selectOption("bubblewrap");
        await until(
          "the chat on bubblewrap",
          () => badge.getAttribute("data-backend"),
          (b) => b === "bubblewrap",
        );
        await until(
          "the warning gone",
          () => page.getByTestId("sandbox-warning").count(),
          (n) => n === 0,
        );
        // It is the session's: a reload shows it again.
        await page.reload();
        await until(
          "the choice kept",
          () => page.getByTestId("sandbox-badge").getAttribute("data-backend", { timeout: 5_000 }),
          (b) => b === "bubblewrap",
        );
      }
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});
