import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, jsonLines, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { launchBrowser, oneTab, openApp, resetBrowserRecords, shoot, until, type Browser, startAll } from "./browser.helpers.ts";

const T = 90_000;

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

type JobCard = { name: string | null; schedule: string; next: string; last: string; runs: number };
const jobs = (page: Page): Promise<JobCard[]> =>
  page.getByTestId("cron-job").evaluateAll((els) =>
    els.map((el) => ({
      name: el.getAttribute("data-name"),
      schedule: el.querySelector('[data-testid="cron-schedule"]')?.textContent?.trim() ?? "",
      next: el.querySelector('[data-testid="cron-next"]')?.textContent?.trim() ?? "",
      last: el.querySelector('[data-testid="cron-last"]')?.textContent?.replace(/\s+/g, " ").trim() ?? "",
      runs: el.querySelectorAll('[data-testid="cron-run-row"]').length,
    })),
  );
const job = async (page: Page, name: string) => (await jobs(page)).find((j) => j.name === name);
const card = (page: Page, name: string) => page.locator(`[data-testid="cron-job"][data-name="${name}"]`);
const runStatuses = (page: Page, name: string): Promise<(string | null)[]> =>
  card(page, name)
    .getByTestId("cron-run-row")
    .evaluateAll((els) => els.map((el) => el.getAttribute("data-status")));

describe("cron page", () => {
  test(
    "a job created in the page runs on its schedule and its run appears, with history; run now, disable and remove act on the gateway",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/cron");
      // Nothing yet: the page says so and opens the form.
      await page.getByTestId("cron-empty").waitFor();
      await page.getByTestId("cron-form").waitFor();

      // A bad expression is refused by the form, with what to type; nothing reaches the gateway.
      await page.getByTestId("cron-name").fill("bad-one");
      await page.getByTestId("cron-kind-cron").check();
      await page.getByTestId("cron-expr").fill("61 * * * *");
      await page.getByTestId("cron-prompt").fill("never");
      await page.getByTestId("cron-create").click();
      await expect.poll(() => page.getByTestId("cron-form-problem").textContent()).toContain("Not a cron expression");
      // A valid one shows its next runs in the chosen zone as it is typed.
      await page.getByTestId("cron-expr").fill("30 9 * * 1-5");
      await page.getByTestId("cron-tz").fill("Europe/Berlin");
      await expect.poll(() => page.getByTestId("cron-preview").textContent()).toContain("at 09:30 on weekdays");

      // The job under test: every 2 seconds.
      await page.getByTestId("cron-name").fill("pulse");
      await page.getByTestId("cron-kind-every").check();
      await page.getByTestId("cron-every").fill("2s");
      await page.getByTestId("cron-prompt").fill("check the stones");
      await page.getByTestId("cron-create").click();
      const created = await until(
        "the job in the list",
        () => job(page, "pulse"),
        (j) => j !== undefined,
      );
      expect(created?.schedule).toBe("every 2 seconds");
      expect(await job(page, "bad-one")).toBeUndefined();

      // Its first slot runs (a real agent turn against the scripted model) and the page shows it.
      await until(
        "pulse's last result completed",
        () => job(page, "pulse"),
        (j) => j?.last.startsWith("completed") === true,
        45_000,
      ).catch((e) => {
        throw new Error(`${e}${logs()}`);
      });
      expect(llm.requests.some((r) => JSON.stringify(r.body).includes("check the stones"))).toBe(true);

      await card(page, "pulse").getByTestId("cron-history").click();
      const statuses = await until(
        "a completed run in the history",
        () => runStatuses(page, "pulse"),
        (s) => s.includes("completed"),
      );
      expect(statuses.length).toBeGreaterThan(0);
      // The run's chat is one click away.
      expect(await card(page, "pulse").getByRole("link", { name: "open chat" }).first().getAttribute("href")).toBe("#/s/cron-pulse");
      await shoot(page, "cron");

      // Disable: no next run, and the gateway agrees.
      await card(page, "pulse").getByTestId("cron-toggle").click();
      await until(
        "pulse disabled",
        () => job(page, "pulse"),
        (j) => j?.next === "none (disabled)",
      );
      const listed = jsonLines((await gw.cli(["cron", "list", "--json"])).stdout);
      expect(listed.find((j) => j.name === "pulse")?.enabled).toBe(false);

      // Run now still runs a disabled job once, outside its schedule.
      const before = (await runStatuses(page, "pulse")).length;
      await card(page, "pulse").getByTestId("cron-run").click();
      await until(
        "the manual run completed in the history",
        () =>
          card(page, "pulse")
            .locator('[data-testid="cron-run-row"]')
            .first()
            .evaluate((el) => [el.getAttribute("data-status"), el.textContent]),
        ([s, text]) => s === "completed" && (text ?? "").includes("(run now)"),
        45_000,
      );
      expect((await runStatuses(page, "pulse")).length).toBeGreaterThan(before);

      // Edit: the form opens filled from the job; only what changed is saved (one cron.job.updated).
      await card(page, "pulse").getByTestId("cron-edit").click();
      expect(await page.getByTestId("cron-name").inputValue()).toBe("pulse");
      expect(await page.getByTestId("cron-prompt").inputValue()).toBe("check the stones");
      expect(await page.getByTestId("cron-every").inputValue()).toBe("2s");
      await page.getByTestId("cron-prompt").fill("polish the stones");
      await page.locator("details.wide summary").click();
      await page.getByTestId("cron-approval").selectOption("always");
      await page.getByTestId("cron-save").click();
      await until(
        "the edited job in the list",
        () => card(page, "pulse").getByTestId("cron-policy").textContent(),
        (t) => (t ?? "").includes("approvals always"),
      );
      expect(await card(page, "pulse").locator(".prompt").textContent()).toBe("polish the stones");
      const shown = JSON.parse((await gw.cli(["cron", "show", "pulse", "--json"])).stdout).job;
      expect(shown).toMatchObject({ prompt: "polish the stones", approvalMode: "always", enabled: false, schedule: { everyMs: 2000 } });

      // Remove, after confirming.
      await card(page, "pulse").getByTestId("cron-remove").click();
      await card(page, "pulse").getByTestId("cron-remove-confirm").click();
      await page.getByTestId("cron-empty").waitFor();
      expect(jsonLines((await gw.cli(["cron", "list", "--json"])).stdout)).toEqual([]);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
