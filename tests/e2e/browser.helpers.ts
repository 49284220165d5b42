/**
 * Browser end-to-end helpers: Debian's chromium driven by playwright-core (never a downloaded
 * browser), a fresh profile per test file, and small waits on what the web UI exposes through
 * its data-testids. Every wait polls the page; none sleeps a fixed time.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const UI_INDEX = fileURLToPath(new URL("../../ui/dist/index.html", import.meta.url));

/** Fails with instructions instead of a blank page when a prerequisite is missing. */
export function assertPrerequisites(): void {
  if (!existsSync(UI_INDEX)) {
    throw new Error(
      "ui/dist is missing: build the web UI first with " +
        "`node node_modules/vite/bin/vite.js build --config ui/vite.config.ts` (npm test does it).",
    );
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).`);
  }
}

export interface Browser {
  context: BrowserContext;
  /** Uncaught exceptions thrown in any page: a UI that throws is broken even if it looks fine. */
  pageErrors: string[];
  /** Every dialog (alert, confirm, ...) any page opened; they are dismissed at once. */
  dialogs: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** The 390×844 touch profile (a phone) for tests that run on desktop and phone alike. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true } as const;

/**
 * One headless chromium with a fresh profile; `close()` removes the profile again. `device`
 * overrides the desktop viewport (e.g. `PHONE`).
 */
export async function launchBrowser(
  extraArgs: string[] = [],
  device: { viewport: { width: number; height: number }; hasTouch?: boolean; isMobile?: boolean } = {
    viewport: { width: 1200, height: 800 },
  },
): Promise<Browser> {
  assertPrerequisites();
  const profile = mkdtempSync(join(tmpdir(), "cairn-e2e-profile-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        ...extraArgs,
      ],
      ...device,
      acceptDownloads: true,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  const watch = (page: Page) => {
    page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on("dialog", (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => {});
    });
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return {
    context,
    pageErrors,
    dialogs,
    async newPage() {
      // The persistent context opens with one blank tab: use it first.
      const blank = context.pages().find((p) => p.url() === "about:blank");
      return blank ?? context.newPage();
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Closes every tab but one, so each test starts from a single clean tab. */
export async function oneTab(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  for (const p of browser.context.pages()) if (p !== page) await p.close();
  return page;
}

/** Forgets the page errors and dialogs of the previous test: each test asserts on its own. */
export function resetBrowserRecords(browser: Browser): void {
  browser.pageErrors.length = 0;
  browser.dialogs.length = 0;
}

/** A TCP port that was free a moment ago, so a restarted gateway can come back on the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export type ConnState = "connecting" | "connected" | "reconnecting" | "error";

/** Polls `fn` until it returns a value `ok` accepts; the last value is in the timeout message. */
export async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const seen = lastErr ? String(lastErr) : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const connectionState = (page: Page): Promise<string | null> =>
  page.getByTestId("connection-status").getAttribute("data-state", { timeout: 5_000 });

export function waitForConnection(page: Page, states: ConnState[], timeoutMs = 20_000): Promise<string | null> {
  return until(
    `connection-status in [${states}]`,
    () => connectionState(page),
    (s) => states.includes(s as ConnState),
    timeoutMs,
  );
}

/** Opens the UI (optionally at a hash route) and waits for the gateway handshake. */
export async function openApp(page: Page, url: string, hash = ""): Promise<void> {
  await page.goto(`${url}/${hash}`);
  await waitForConnection(page, ["connected"]);
}

/** The open session's key, from the URL hash (`#/s/<key>`). */
export function sessionKeyOf(page: Page): string | null {
  const m = /#\/s\/([^/?#]+)$/.exec(page.url());
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * Clicks "New chat" and waits for the new session to be open (its key in the URL). Not for a
 * page whose open session is still empty: the UI reuses that one instead of creating another.
 */
export async function newChat(page: Page): Promise<string> {
  const before = sessionKeyOf(page);
  await page.getByTestId("new-chat").click();
  const key = await until(
    "a new session key in the URL",
    async () => sessionKeyOf(page),
    (k) => k !== null && k !== before,
  );
  return key as string;
}

/** Types into the composer and presses Enter, as a user does. */
export async function typeAndSend(page: Page, text: string): Promise<void> {
  const input = page.getByTestId("chat-input");
  await input.click();
  await input.fill(text);
  await input.press("Enter");
}

export type Shown = { role: string | null; status: string | null; text: string };

/** Every chat bubble, in order, read in one go so role, status and text belong together. */
export function messages(page: Page): Promise<Shown[]> {
  return page.getByTestId("message").evaluateAll((els) =>
    els.map((el) => {
      // A reply with tool cards is several text pieces around the cards: read them all.
      const body = Array.from(el.querySelectorAll(".plain, .md"), (b) => (b.textContent ?? "").trim()).join("\n");
      return {
        role: el.getAttribute("data-role"),
        status: el.getAttribute("data-status"),
        text: body.trim(),
      };
    }),
  );
}

/** The last assistant bubble, or undefined. */
export async function lastAssistant(page: Page): Promise<Shown | undefined> {
  return (await messages(page)).filter((m) => m.role === "assistant").at(-1);
}

/**
 * Watches the last assistant bubble stream `full`: returns a state seen while it was still
 * `streaming` with part of the text, then waits until it is `complete` with all of it. Fails at
 * once if the reply settles without ever having been seen part-way.
 */
export async function watchReply(page: Page, full: string, timeoutMs = 30_000): Promise<Shown> {
  const seen = await until(
    "the assistant reply streaming with partial text",
    () => lastAssistant(page),
    (m) =>
      (m?.status === "streaming" && m.text.length > 0 && m.text.length < full.length) ||
      (m !== undefined && m.status !== "streaming" && m.text === full),
    timeoutMs,
  );
  if (seen?.status !== "streaming") {
    throw new Error(`the reply was never seen streaming part-way; it went straight to ${JSON.stringify(seen)}`);
  }
  await until(
    "the assistant reply complete",
    () => lastAssistant(page),
    (m) => m?.status === "complete" && m.text === full,
    timeoutMs,
  );
  return seen;
}

/**
 * Waits until the `nth` assistant bubble (1-based) exists and has settled (any status but
 * streaming), and returns it. Counting matters: right after a send, the last bubble on screen
 * is still the previous, long-settled reply.
 */
export async function settledReply(page: Page, nth = 1, timeoutMs = 30_000): Promise<Shown> {
  const replies = await until(
    `assistant reply #${nth} to settle`,
    async () => (await messages(page)).filter((m) => m.role === "assistant"),
    (rs) => rs.length >= nth && rs[nth - 1].status !== "streaming",
    timeoutMs,
  );
  return replies[nth - 1];
}

/**
 * Starts things in parallel (gateways, the browser). Returns what started (undefined where it
 * failed) and the first failure, so a suite keeps what started for its afterAll before throwing.
 */
export async function startAll<T extends readonly unknown[]>(
  ...starts: { [K in keyof T]: Promise<T[K]> }
): Promise<{ started: { [K in keyof T]: T[K] }; failure: unknown }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  return {
    started: settled.map((r) => (r.status === "fulfilled" ? r.value : undefined)) as unknown as { [K in keyof T]: T[K] },
    failure: failed?.reason,
  };
}

/**
 * Screenshots for a person to look at, with CAIRN_SHOTS=<dir>: `<name>-desktop.png` and
 * `<name>-phone.png`. A page that scrolls inside its column gets a taller viewport, so all of it
 * shows. Nothing without the variable.
 */
export async function shoot(page: Page, name: string): Promise<void> {
  const dir = process.env.CAIRN_SHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const size = page.viewportSize() ?? { width: 1200, height: 800 };
  for (const [tag, width, height] of [
    ["desktop", 1200, 800],
    ["phone", 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    const inner = await page.evaluate(() => document.querySelector(".page")?.scrollHeight ?? 0);
    if (inner > height) await page.setViewportSize({ width, height: inner + 60 });
    await page.screenshot({ path: join(dir, `${name}-${tag}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

/** Opens the chat header's ⋯ menu (node, sandbox, MCP, fork, activity), unless it is open. */
export async function openHeaderMenu(page: Page): Promise<void> {
  const more = page.getByTestId("header-more");
  if ((await more.getAttribute("aria-expanded")) !== "true") await more.click();
}
