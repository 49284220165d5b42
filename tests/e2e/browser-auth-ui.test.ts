/**
 * The sign-in, setup and Settings → Security pages in a real browser, against tests/e2e/auth-ui.stub.ts:
 * a STUB that speaks the auth HTTP contract and the WS `auth.*` methods, not the gateway. What the
 * real edge enforces (hashing, cookie flags, rate limits, scopes, WebAuthn verification) is tested
 * against the real gateway by the security suite; this checks what the UI does with each answer.
 * With CAIRN_SHOTS=<dir>, it also saves screenshots of each page at desktop and phone widths.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type AuthStub, startAuthStub } from "./auth-ui.stub.ts";
import { type Browser, launchBrowser, oneTab, resetBrowserRecords, until, waitForConnection } from "./browser.helpers.ts";

const SHOTS = process.env.CAIRN_SHOTS;
const PASSWORD = "correct horse battery";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  resetBrowserRecords(browser);
  await browser.context.clearCookies();
});

/** Desktop and phone shots; a settings page scrolls inside its column, so the viewport grows to show all of it. */
async function shoot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize() ?? { width: 1200, height: 800 };
  for (const [suffix, width, height] of [
    ["desktop", 1200, 800],
    ["phone", 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    const inner = await page.evaluate(() => document.querySelector(".page")?.scrollHeight ?? 0);
    if (inner > height) await page.setViewportSize({ width, height: inner + 60 });
    await page.screenshot({ path: join(SHOTS, `${name}-${suffix}.png`) });
  }
  await page.setViewportSize(size);
}

const problem = (page: Page) => page.getByTestId("auth-problem").textContent({ timeout: 5_000 });

/** No password or code ever travels in a URL: every request line the stub saw is free of them. */
function expectNoSecretsInUrls(stub: AuthStub, ...secrets: string[]): void {
  for (const line of stub.log) for (const s of secrets) expect(line).not.toContain(encodeURIComponent(s).slice(0, 12));
}

async function virtualAuthenticator(page: Page): Promise<void> {
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

describe("first remote visit: the setup page", () => {
  let stub: AuthStub;
  beforeAll(async () => {
    stub = await startAuthStub({ setupCode: "424242" });
  });
  afterAll(() => stub?.close());

  test("takes the code and a password, explains each refusal, then connects", async () => {
    const page = await oneTab(browser);
    await page.goto(`${stub.url}/`);
    await page.getByTestId("setup-form").waitFor();
    await shoot(page, "setup");
    // Focus starts on the code.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("setup-code");

    await page.getByTestId("setup-code").fill("000000");
    await page.getByTestId("setup-password").fill("short");
    await page.getByTestId("setup-confirm").fill("short");
    await page.getByTestId("setup-password").press("Enter");
    expect(await problem(page)).toContain("at least 8 characters");
    expect(stub.log.filter((l) => l.startsWith("POST"))).toEqual([]); // checked before sending

    await page.getByTestId("setup-password").fill(PASSWORD);
    await page.getByTestId("setup-confirm").fill(`${PASSWORD}!`);
    await page.getByTestId("setup-submit").click();
    expect(await problem(page)).toContain("differ");

    await page.getByTestId("setup-confirm").fill(PASSWORD);
    await page.getByTestId("setup-submit").click();
    await until(
      "the wrong code refused",
      () => problem(page),
      (t) => !!t?.includes("setup code is wrong"),
    );
    expect(await page.getByTestId("auth-problem").locator("code").textContent()).toBe("cairn auth setup-code");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("setup-code");
    await shoot(page, "setup-error");

    await page.getByTestId("setup-code").fill("424242");
    await page.getByTestId("setup-code").press("Enter");
    await waitForConnection(page, ["connected"]);
    expect(page.url()).not.toContain("424242");
    expectNoSecretsInUrls(stub, "424242", PASSWORD);
    expect(browser.pageErrors).toEqual([]);
  });
});

describe("the sign-in page", () => {
  let stub: AuthStub;
  beforeAll(async () => {
    stub = await startAuthStub({ setupCode: null, password: PASSWORD, attempts: 2, retryAfter: 30 });
  });
  afterAll(() => stub?.close());

  test("refuses a wrong password, counts down a rate limit, signs in with the right one", async () => {
    const page = await oneTab(browser);
    await page.goto(`${stub.url}/#/security`);
    await page.getByTestId("login-form").waitFor();
    await shoot(page, "login");
    const pw = page.getByTestId("login-password");
    await pw.fill("nope nope");
    await pw.press("Enter");
    await until(
      "wrong password",
      () => problem(page),
      (t) => t === "Wrong password.",
    );
    await pw.fill("nope again");
    await page.getByTestId("login-submit").click();
    await until(
      "wrong password",
      () => problem(page),
      (t) => t === "Wrong password.",
    );
    await pw.fill(PASSWORD);
    await pw.press("Enter");
    const text = await until(
      "the rate limit",
      () => problem(page),
      (t) => !!t?.startsWith("Too many attempts"),
    );
    expect(text).toMatch(/^Too many attempts, try again in (30|29|28) s\.$/);
    expect(await page.getByTestId("login-submit").isDisabled()).toBe(true);
    await shoot(page, "login-rate-limited");
    expect(browser.pageErrors).toEqual([]);
  });
});

describe("Settings → Security", () => {
  let stub: AuthStub;
  const day = 86_400_000;
  beforeAll(async () => {
    const now = Date.now();
    stub = await startAuthStub({
      setupCode: null,
      password: PASSWORD,
      seed: {
        keys: [
          {
            id: "k1",
            label: "home-assistant",
            scopes: ["operator.read", "operator.approvals"],
            prefix: "ck_Hx3b9q",
            createdAt: now - 3 * day,
            createdBy: "session:abc",
            revokedAt: null,
          },
          {
            id: "k0",
            label: "old laptop script",
            scopes: ["operator.admin"],
            prefix: "ck_0Pq1zz",
            createdAt: now - 40 * day,
            createdBy: "local",
            revokedAt: now - 20 * day,
          },
        ],
        sessions: [
          {
            id: "other",
            method: "passkey",
            createdAt: now - 2 * day,
            expiresAt: now + 5 * day,
            address: "192.168.1.23",
            client: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1",
          },
        ],
      },
    });
  });
  afterAll(() => stub?.close());

  test("keys shown once and revoked with confirmation, sessions, password, passkeys, log out", async () => {
    const page = await oneTab(browser);
    await virtualAuthenticator(page);
    await page.goto(`${stub.url}/#/security`);
    await page.getByTestId("login-password").fill(PASSWORD);
    await page.getByTestId("login-password").press("Enter");
    await waitForConnection(page, ["connected"]);
    await page.getByTestId("security-keys").waitFor();
    expect(await page.title()).toBe("Security · cairn");
    expect(await page.getByTestId("login-session-row").count()).toBe(2);
    expect(await page.getByTestId("this-device").count()).toBe(1);
    await shoot(page, "security");

    // A key with chosen scopes: shown once, with a copy button.
    await page.getByTestId("key-label").fill("phone shortcut");
    await page.getByTestId("key-chosen").check();
    await page.locator('[data-testid="key-scope"][data-scope="operator.write"]').check();
    await page.getByTestId("key-create").click();
    const value = await page.getByTestId("key-value").inputValue();
    expect(value).toMatch(/^ck_/);
    expect(await page.getByTestId("key-created").textContent()).toContain("you will not see it again");
    await shoot(page, "security-key-created");
    await page.getByTestId("key-copy").click();
    expect(await page.evaluate(() => navigator.clipboard.readText().catch(() => "(no clipboard permission)"))).toMatch(
      new RegExp(`^(${value}|\\(no clipboard permission\\))$`),
    );
    await page.getByTestId("key-done").click();
    expect(await page.getByTestId("key-value").count()).toBe(0);
    const row = page.locator('[data-testid="key-row"]', { hasText: "phone shortcut" });
    expect(await row.textContent()).toContain("read, write");
    expect(await page.content()).not.toContain(value); // gone from the page for good

    // Revoke asks first.
    await row.getByTestId("key-revoke").click();
    await row.getByTestId("key-revoke-cancel").click();
    expect(await row.getByTestId("key-revoked").count()).toBe(0);
    await row.getByTestId("key-revoke").click();
    await row.getByTestId("key-revoke-confirm").click();
    await row.getByTestId("key-revoked").waitFor();

    // Password change needs the current one from a remote browser.
    await page.getByTestId("password-change").click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("password-current");
    await page.getByTestId("password-current").fill("wrong one");
    await page.getByTestId("password-new").fill("a new long passphrase");
    await page.getByTestId("password-confirm").fill("a new long passphrase");
    await page.getByTestId("password-submit").click();
    await until(
      "the wrong current password",
      () => page.getByTestId("password-problem").textContent(),
      (t) => !!t?.includes("unauthorized"),
    );
    await page.getByTestId("password-current").fill(PASSWORD);
    await page.getByTestId("password-submit").click();
    await page.getByTestId("password-done").waitFor();

    // A passkey from the virtual authenticator.
    await page.getByTestId("passkey-name").fill("test laptop");
    await page.getByTestId("passkey-add").click();
    await page.locator('[data-testid="passkey-row"]', { hasText: "test laptop" }).waitFor();

    // Revoke the other browser's session.
    const other = page.locator('[data-testid="login-session-row"][data-id]', { hasText: "192.168.1.23" });
    await other.getByTestId("session-revoke").click();
    await other.getByTestId("session-revoke-confirm").click();
    await until(
      "one session left",
      () => page.getByTestId("login-session-row").count(),
      (n) => n === 1,
    );

    // Log out: back to the sign-in page, which now offers the passkey, and the passkey gets in.
    await page.getByTestId("logout").click();
    await page.getByTestId("login-passkey").waitFor();
    await shoot(page, "login-with-passkey");
    await page.getByTestId("login-passkey").click();
    await waitForConnection(page, ["connected"]);
    expect(browser.pageErrors).toEqual([]);
    expectNoSecretsInUrls(stub, PASSWORD, "a new long passphrase");
  });

  test("a session revoked elsewhere brings the sign-in page back", async () => {
    const page = await oneTab(browser);
    await page.goto(`${stub.url}/`);
    await page.getByTestId("login-password").fill("a new long passphrase");
    await page.getByTestId("login-submit").click();
    await waitForConnection(page, ["connected"]);
    // Log out everywhere from a second tab: this tab's socket is closed (1008) and it asks again.
    const second = await browser.context.newPage();
    await second.goto(`${stub.url}/#/security`);
    await second.getByTestId("logout-all").click();
    await second.getByTestId("logout-all-confirm").click();
    await second.getByTestId("login-form").waitFor();
    await page.getByTestId("login-form").waitFor();
    expect(browser.pageErrors).toEqual([]);
  });
});
