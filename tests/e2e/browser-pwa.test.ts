/**
 * Issue 20, items 6–8 in a real chromium against a real gateway process: the PWA (manifest, icons,
 * the service worker's shell after a reload with the gateway down), the per-device opt-in to Web
 * Push (a real push message, decrypted by a local push service), the phone layout and keyboard
 * access, and an axe-core scan of every page in light and dark. Screenshots of every page (light,
 * dark, desktop, 390×844) go to tests/artifacts/screens/ (gitignored) to be looked at.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startPushService, type PushServiceFixture } from "../fixtures/push-service.ts";
import {
  freePort,
  launchBrowser,
  newChat,
  oneTab,
  openApp,
  resetBrowserRecords,
  settledReply,
  startAll,
  typeAndSend,
  until,
  waitForConnection,
  type Browser,
} from "./browser.helpers.ts";

const SCREENS = fileURLToPath(new URL("../artifacts/screens/", import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 800 };

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
let push: PushServiceFixture;
let dir: string;

beforeAll(async () => {
  [llm, push] = await Promise.all([startLlmServer(), startPushService()]);
  dir = mkdtempSync(join(tmpdir(), "cairn-e2e-pwa-"));
  writeFileSync(join(dir, "ca.pem"), push.caPem);
  writeFileSync(
    join(dir, "cairn.toml"),
    ["[tools.exec]", 'approval_mode = "always"', "[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"),
  );
  const port = await freePort();
  const { started, failure } = await startAll(
    startGatewayProc({
      llmBaseUrl: llm.url,
      extraEnv: { NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"), CAIRN_CONFIG_DIR: dir, CAIRN_PORT: String(port) },
    }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
  mkdirSync(SCREENS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close(), push?.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

/** Every page of the UI, by hash route: the chat, the Events explorer and every Settings section. */
const PAGES = [
  ["chat-new", "#/"],
  ["events", "#/events"],
  ...["general", "tools", "providers", "nodes", "mcp", "hooks", "cron", "channels", "notifications", "security", "monitoring"].map(
    (id) => [id, `#/settings/${id}`] as const,
  ),
] as const;

type Violation = { id: string; impact: string | null; help: string; nodes: string[] };

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<Violation[]> {
  // Evaluated, not a <script>: the page's CSP (script-src 'self') refuses inline scripts, as it should.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: any[] }> } }).axe.run(document, {
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 4).map((n: any) => n.target.join(" ")),
    }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Waits until the page's own content is there (not "Loading…"). */
async function settled(page: Page): Promise<void> {
  await until(
    "the page loaded",
    () => page.evaluate(() => !/Loading…/.test(document.querySelector("main")?.textContent ?? "")),
    (v) => v,
    30_000,
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

describe("PWA", () => {
  test("the page names a manifest, icons, a favicon, an apple-touch-icon and a theme colour; all are served", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    const head = await page.evaluate(() => ({
      manifest: document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href,
      icons: [...document.querySelectorAll<HTMLLinkElement>('link[rel="icon"], link[rel="apple-touch-icon"]')].map((l) => l.href),
      theme: document.querySelector<HTMLMetaElement>('meta[name="theme-color"]')?.content,
    }));
    expect(head.theme).toMatch(/^#[0-9a-f]{6}$/i);
    const res = await page.request.get(head.manifest as string);
    expect(res.headers()["content-type"]).toBe("application/manifest+json");
    const manifest = await res.json();
    expect(manifest).toMatchObject({ name: "cairn", display: "standalone", start_url: "./", theme_color: head.theme });
    const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
    expect(sizes).toEqual(expect.arrayContaining(["192x192", "512x512"]));
    for (const href of [...head.icons, ...manifest.icons.map((i: { src: string }) => new URL(i.src, head.manifest).href)]) {
      const r = await page.request.get(href);
      expect(r.status(), href).toBe(200);
      expect(r.headers()["content-type"], href).toMatch(/^image\/(png|svg\+xml)$/);
    }
  });
});

describe("notifications opt-in", () => {
  // Chromium's own push service (FCM) is not reachable here: the page gets a subscription at the
  // local push service instead, made by the test; everything after it (the permission, the card,
  // the gateway's VAPID signature and encryption) is the real thing.
  test("Turn on asks for the permission, subscribes this device, and a finished reply arrives as a push; Turn off removes it", async () => {
    const sub = push.subscribe();
    await browser.context.grantPermissions(["notifications"], { origin: new URL(gw.url).origin });
    await browser.context.addInitScript((s) => {
      // The subscription outlives a reload, as a browser's does.
      const KEY = "test-push-subscription";
      const make = () => ({
        endpoint: s.endpoint,
        options: { applicationServerKey: null },
        toJSON: () => s,
        unsubscribe: async () => {
          localStorage.removeItem(KEY);
          return true;
        },
      });
      PushManager.prototype.subscribe = async () => {
        localStorage.setItem(KEY, "1");
        return make() as unknown as PushSubscription;
      };
      PushManager.prototype.getSubscription = async () => (localStorage.getItem(KEY) ? make() : null) as unknown as PushSubscription | null;
    }, sub);
    const page = await oneTab(browser);
    await openApp(page, gw.url, "#/settings/notifications");
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const state = () => page.getByTestId("push-state").getAttribute("data-state");
    await until("the card", state, (s) => s === "off");
    await page.getByTestId("push-on").click();
    await until("notifications on", state, (s) => s === "on");
    await expect.poll(() => page.getByTestId("push-device").count()).toBe(1);
    expect(await page.getByTestId("push-device").textContent()).toMatch(/Chrome on Linux.*\(this device\)/s);
    await screenshot(page, "settings-notifications-on-desktop-light");

    // The tab is in front: a reply now is not pushed. With no tab open, the next one is.
    llm.script({ chunks: ["Seen in the tab."] });
    expect((await gw.cli(["chat", "-s", "pwa-push", "hello"])).code).toBe(0);
    await page.goto("about:blank");
    llm.script({ chunks: ["Pushed ", "reply."] });
    expect((await gw.cli(["chat", "-s", "pwa-push", "again"])).code).toBe(0);
    await expect
      .poll(() => push.received.filter((p) => p.endpoint === sub.endpoint).map((p) => p.message.body), { timeout: 20_000 })
      .toEqual(["Pushed reply."]);
    expect(push.refused).toEqual([]);

    await openApp(page, gw.url, "#/settings/notifications");
    await until("the card says on", state, (s) => s === "on");
    await page.getByTestId("push-off").click();
    await until("notifications off", state, (s) => s === "off");
    await expect.poll(() => page.getByTestId("push-device").count()).toBe(0);
  });
});

describe("phone and keyboard", () => {
  test("390 px: the header is one row, its controls are in a menu; fields are 16 px; buttons are at least 24 px", async () => {
    const page = await oneTab(browser);
    await page.setViewportSize(PHONE);
    await openApp(page, gw.url);
    const rows = () =>
      page.evaluate(() => {
        const header = document.querySelector("header.header") as HTMLElement;
        // Vertical centres of what the header shows: one row means they are (nearly) the same.
        const centres = [...header.querySelectorAll<HTMLElement>("h1, button, [role=status]")]
          .filter((c) => c.offsetParent !== null)
          .map((c) => {
            const r = c.getBoundingClientRect();
            return r.top + r.height / 2;
          });
        return { height: header.getBoundingClientRect().height, spread: Math.max(...centres) - Math.min(...centres) };
      });
    const closed = await rows();
    expect(closed.height).toBeLessThan(64);
    expect(closed.spread).toBeLessThan(4);
    expect(await page.getByTestId("model-picker").isVisible()).toBe(false);
    await page.getByTestId("header-more").click();
    expect(await page.getByTestId("model-picker").isVisible()).toBe(true);
    await screenshot(page, "chat-header-menu-phone-light");
    await page.keyboard.press("Escape");
    expect(await page.getByTestId("model-picker").isVisible()).toBe(false);

    const fontSize = await page.getByTestId("chat-input").evaluate((el) => getComputedStyle(el).fontSize);
    expect(Number.parseFloat(fontSize)).toBeGreaterThanOrEqual(16);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("button, select, [role=button]")]
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({
          what: el.getAttribute("data-testid") ?? el.getAttribute("aria-label") ?? el.textContent?.trim(),
          r: el.getBoundingClientRect(),
        }))
        .filter(({ r }) => r.width < 24 || r.height < 24)
        .map(({ what, r }) => `${what} ${Math.round(r.width)}×${Math.round(r.height)}`),
    );
    expect(small).toEqual([]);
    await page.setViewportSize(DESKTOP);
  });

  test("the first Tab reaches a skip link to the message box; focus is visible", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    // From the top of the page, as after a page load with nothing focused.
    await page.evaluate(() => {
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute("tabindex");
    });
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => ({
      id: document.activeElement?.getAttribute("data-testid"),
      outline: getComputedStyle(document.activeElement as Element).outlineStyle,
    }));
    expect(focused).toEqual({ id: "skip-link", outline: "solid" });
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("chat-input");
    expect(page.url()).not.toContain("#chat-input");
  });

  test("the model picker works from the keyboard: Enter opens it on the current choice, arrows move, Enter picks, Escape closes", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    await newChat(page);
    // The picker is disabled while the chat loads.
    await until(
      "the picker enabled",
      () => page.getByTestId("model-picker").isEnabled(),
      (v) => v,
    );
    await page.getByTestId("model-picker").focus();
    await page.keyboard.press("Enter");
    await until(
      "the menu open with focus on an option",
      () => page.evaluate(() => document.activeElement?.getAttribute("role")),
      (r) => r === "option",
    );
    await page.keyboard.press("Escape");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("model-picker");
    await page.keyboard.press("Enter");
    await until(
      "focus on an option",
      () => page.evaluate(() => document.activeElement?.getAttribute("data-model")),
      (m) => m === "",
    );
    await page.keyboard.press("ArrowDown");
    const picked = await page.evaluate(() => document.activeElement?.getAttribute("data-model"));
    expect(picked).toBeTruthy();
    await page.keyboard.press("Enter");
    await until(
      "the model chosen",
      () => page.getByTestId("model-picker").getAttribute("data-model"),
      (m) => m === picked,
    );
  });

  test("a reply is announced once when it finishes, not chunk by chunk", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    await newChat(page);
    llm.script({ chunks: ["First."] });
    await typeAndSend(page, "first");
    await settledReply(page, 1);
    expect(await page.locator('[role="log"]').getAttribute("aria-live")).toBe("off");
    const announcements: string[] = [];
    await page.exposeFunction("cairnAnnounced", (t: string) => announcements.push(t));
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="reply-announcer"]');
      if (el)
        new MutationObserver(() =>
          (window as unknown as { cairnAnnounced: (t: string) => void }).cairnAnnounced(el.textContent ?? ""),
        ).observe(el, { childList: true, characterData: true, subtree: true });
    });
    llm.script({ chunks: ["One ", "two ", "three ", "four."] });
    await typeAndSend(page, "count");
    await settledReply(page, 2);
    await until(
      "the announcement",
      async () => announcements,
      (a) => a.length > 0,
    );
    expect(announcements).toEqual(["Reply finished. One two three four."]);
  });
});

describe("every page: axe-core and screenshots", () => {
  test("no serious or critical axe violations in light or dark; screenshots at desktop and 390×844", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    // A chat with a reply and a tool card that waits for approval: the busiest page there is.
    await newChat(page);
    llm.script({ chunks: ["Here is some `code`:\n\n```js\nconsole.log(1)\n```\n"] });
    await typeAndSend(page, "show me code");
    await settledReply(page, 1);
    llm.script({ toolCalls: [{ id: "c1", name: "exec", arguments: JSON.stringify({ command: "ls -la" }) }] }, { chunks: ["Listed."] });
    await typeAndSend(page, "list files");
    await until(
      "an approval card",
      () => page.getByTestId("approval-approve").count(),
      (n) => n > 0,
      30_000,
    );
    const chatHash = new URL(page.url()).hash;
    const pages: (readonly [string, string])[] = [["chat-approval", chatHash], ...PAGES];
    const problems: string[] = [];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, hash] of pages) {
        await page.setViewportSize(DESKTOP);
        await page.goto(`${gw.url}/${hash}`);
        await waitForConnection(page, ["connected"]);
        await settled(page);
        for (const v of await seriousViolations(page))
          problems.push(`${name} ${scheme}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(" | ")}`);
        await screenshot(page, `${name}-desktop-${scheme}`);
        await page.setViewportSize(PHONE);
        for (const v of await seriousViolations(page))
          problems.push(`${name} ${scheme} phone: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(" | ")}`);
        await screenshot(page, `${name}-phone-${scheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: null });
    await page.setViewportSize(DESKTOP);
    expect(problems).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  }, 300_000);
});

// Last: it stops the gateway.
describe("a new build", () => {
  test("a gateway serving another UI build than the page runs: the page offers a reload; the build it serves shows none", async () => {
    const page = await oneTab(browser);
    // A page as it runs after an upgrade it has not loaded yet: its gateway names another build.
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        const frame = JSON.parse(String(m));
        if (frame.type === "res" && frame.payload?.server) frame.payload.server.ui = "assets/index-newer.js";
        ws.send(JSON.stringify(frame));
      });
    });
    await openApp(page, gw.url);
    await until(
      "the update banner",
      () => page.getByTestId("update-banner").count(),
      (n) => n === 1,
    );
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await until(
      "the shell cached",
      () => page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith("cairn-shell"))),
      (v) => v,
    );
    await screenshot(page, "update-banner-desktop-light");
    await Promise.all([page.waitForEvent("load"), page.getByTestId("update-reload").click()]);
    expect(await page.title()).toMatch(/cairn/);
    // Only the cached page was dropped: the offline page's icons are still in the worker's cache.
    expect(await page.evaluate(async () => !!(await caches.match(new URL("icons/icon-192.png", location.href).href)))).toBe(true);
    expect(browser.pageErrors).toEqual([]);

    // The build it serves is the one a fresh page runs: no banner.
    const plain = await oneTab(browser);
    await openApp(plain, gw.url);
    await plain.getByTestId("chat-input").waitFor();
    expect(await plain.getByTestId("update-banner").count()).toBe(0);
  });
});

describe("offline shell", () => {
  test("a reload while the gateway is down shows cairn's own page, with its icons from the cache", async () => {
    const page = await oneTab(browser);
    await openApp(page, gw.url);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    // The worker precached the shell files at install.
    await until(
      "the shell cached",
      () =>
        page.evaluate(
          async () => (await caches.keys()).length > 0 && !!(await caches.match(new URL("icons/icon-192.png", location.href).href)),
        ),
      (v) => v,
    );
    await gw.kill("SIGTERM");
    await waitForConnection(page, ["reconnecting", "error"]);
    await page.reload();
    expect(await page.title()).toMatch(/cairn/);
    await until(
      "the offline banner",
      () => page.getByTestId("offline-banner").count(),
      (n) => n === 1,
      30_000,
    );
    const icon = await page.evaluate(async () => (await fetch("icons/icon-192.png")).status);
    expect(icon).toBe(200);
    await screenshot(page, "offline-reload-desktop-light");
  });
});
