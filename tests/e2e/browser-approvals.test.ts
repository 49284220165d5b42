/**
 * Approvals in the web UI, in a real browser against a real gateway process and the scripted LLM
 * server: a command waits for the person, is approved or denied from one tab and seen in another,
 * and an answer given elsewhere (the CLI) shows in the page.
 */
import { describe, expect, test } from "vitest";
import { newChat, oneTab, openApp, settledReply, typeAndSend, until } from "./browser.helpers.ts";
import { approvalStatus, cards, execCall } from "./browser-tools.helpers.ts";
import { useBrowserSuite } from "./browser.suite.ts";

const T = 90_000;

const s = useBrowserSuite({
  prefix: "cairn-e2e-approvals-",
  // Every command asks; commands run unconfined, which the UI must say loudly.
  toml: ["[tools.exec]", 'approval_mode = "always"', "[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"),
});

describe("approvals", () => {
  test(
    "a command waiting for approval shows in two tabs; approving in one updates both and the command runs",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      const key = await newChat(page);
      // Output long enough to be truncated: the card offers the complete output the tool kept.
      const command = "echo cairn-approved; seq 1 3000";
      s.llm.script({ toolCalls: [execCall(command)] }, { chunks: ["Done."] });
      await typeAndSend(page, "say it");

      await until(
        "the approval card pending",
        () => approvalStatus(page),
        (s) => s === "pending",
        30_000,
      );
      expect(await page.getByTestId("approval-command").textContent()).toBe(command);
      expect((await page.getByTestId("approval-reason").textContent())?.length).toBeGreaterThan(5);
      expect(await page.getByTestId("approval-time-left").textContent()).toMatch(/left/);
      expect((await cards(page))[0]).toMatchObject({ name: "exec", status: "awaiting_approval", args: command });

      // A second tab on the same chat sees the same pending approval, and the header counts it.
      const other = await s.browser.context.newPage();
      await openApp(other, s.gw.url, `#/s/${key}`);
      await until(
        "the approval card in the second tab",
        () => approvalStatus(other),
        (s) => s === "pending",
      );
      await until(
        "the pending indicator",
        () => other.getByTestId("pending-approvals").getAttribute("data-count", { timeout: 5_000 }),
        (n) => n === "1",
      );

      await other.getByTestId("approval-approve").click();
      for (const p of [page, other]) {
        await until(
          "the approval granted",
          () => approvalStatus(p),
          (s) => s === "granted",
        );
        const [done] = await until(
          "the command finished",
          () => cards(p),
          (cs) => cs[0]?.status === "finished",
        );
        expect(done.output).toContain("cairn-approved");
      }
      expect(await page.getByTestId("approval-outcome").textContent()).toMatch(/Approved by you \(on this machine\)/);
      expect((await settledReply(page)).text).toBe("Done.");
      await page.getByTestId("tool-full-output").click();
      await until(
        "the full output in the modal",
        () => page.getByTestId("output-modal-text").textContent({ timeout: 5_000 }),
        (t) => !!t?.trimEnd().endsWith("\n3000"),
      );
      await page.getByTestId("output-modal-close").click();
      await until(
        "the pending indicator gone",
        () => page.getByTestId("pending-approvals").count(),
        (n) => n === 0,
      );
      await other.close();
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "denying with a reason shows denied with the reason, and the model is told why",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);
      s.llm.script({ toolCalls: [execCall("rm -rf ./old")] }, { chunks: ["Understood, I left it."] });
      await typeAndSend(page, "clean up");

      await until(
        "the approval card pending",
        () => approvalStatus(page),
        (s) => s === "pending",
        30_000,
      );
      await page.getByTestId("approval-deny").click();
      await page.getByTestId("approval-deny-reason").fill("keep the old files");
      await page.getByTestId("approval-deny-confirm").click();

      await until(
        "the approval denied",
        () => approvalStatus(page),
        (s) => s === "denied",
      );
      await until(
        "the outcome with the reason",
        () => page.getByTestId("approval-outcome").textContent(),
        (t) => !!t?.includes("keep the old files"),
      );
      await until(
        "the call failed",
        () => cards(page),
        (cs) => cs[0]?.status === "failed",
      );
      expect((await settledReply(page)).text).toBe("Understood, I left it.");
      expect(JSON.stringify(s.llm.requests[1].toolMessages)).toContain("keep the old files");
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});

describe("approvals answered elsewhere", () => {
  test(
    "an answer given with the CLI updates the open tab's card and clears the pending indicator",
    async () => {
      const page = await oneTab(s.browser);
      await openApp(page, s.gw.url);
      await newChat(page);
      s.llm.script({ toolCalls: [execCall("touch ./flag")] }, { chunks: ["Not done, then."] });
      await typeAndSend(page, "set the flag");

      await until(
        "the approval card pending",
        () => approvalStatus(page),
        (s) => s === "pending",
        30_000,
      );
      await until(
        "the pending indicator",
        () => page.getByTestId("pending-approvals").getAttribute("data-count", { timeout: 5_000 }),
        (n) => n === "1",
      );
      const id = (await page.getByTestId("approval-card").getAttribute("data-approval-id")) as string;
      const r = await s.gw.cli(["approvals", "deny", id, "--reason", "answered from the terminal"]);
      expect(r.code, r.stderr).toBe(0);

      await until(
        "the approval denied in the tab",
        () => approvalStatus(page),
        (s) => s === "denied",
      );
      await until(
        "the CLI's reason shown",
        () => page.getByTestId("approval-outcome").textContent(),
        (t) => !!t?.includes("answered from the terminal"),
      );
      await until(
        "the pending indicator gone",
        () => page.getByTestId("pending-approvals").count(),
        (n) => n === 0,
      );
      expect((await settledReply(page)).text).toBe("Not done, then.");
      expect(s.browser.pageErrors).toEqual([]);
    },
    T,
  );
});
