import type { Page } from "playwright-core";
import type { GatewayProc } from "../fixtures/gateway.ts";

/** The gateway's last output, for an assertion's message. */
export const gatewayLog = (gw: GatewayProc) => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;

export type Card = { name: string | null; status: string | null; args: string; output: string | null };

/** Every tool card on the page, in order, read in one go. */
export const cards = (page: Page): Promise<Card[]> =>
  page.getByTestId("tool-card").evaluateAll((els) =>
    els.map((el) => ({
      name: el.getAttribute("data-tool"),
      status: el.getAttribute("data-status"),
      args: el.querySelector('[data-testid="tool-args"]')?.textContent?.trim() ?? "",
      output: el.querySelector('[data-testid="tool-output"]')?.textContent ?? null,
    })),
  );

export const approvalStatus = (page: Page) => page.getByTestId("approval-card").getAttribute("data-status", { timeout: 5_000 });

/** What is in the reply bubble, in order: text pieces and cards (by tool name). */
export const replyLayout = (page: Page): Promise<string[]> =>
  page
    .locator('[data-testid="message"][data-role="assistant"]')
    .last()
    .evaluate((el) =>
      Array.from(el.querySelectorAll('.md, [data-testid="tool-card"]'), (n) =>
        n.matches(".md") ? `text:${(n.textContent ?? "").trim()}` : `tool:${n.getAttribute("data-tool")}`,
      ),
    );

/** A scripted model's `exec` call. */
export const execCall = (command: string) => ({ name: "exec", arguments: JSON.stringify({ command }) });
