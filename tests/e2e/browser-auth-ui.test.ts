import { networkInterfaces } from "node:os";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { type Browser, launchBrowser, oneTab, resetBrowserRecords, shoot, until, waitForConnection } from "./browser.helpers.ts";

const _SHOTS = process.env.CAIRN_SHOTS;
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a new long passphrase";
const NAME = "cairn.test";

/** This machine's first non-loopback IPv4 address: the browser is a remote client there. */
const ownAddress = (): string => {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal);
  if (!found) throw new Error("this test needs a non-loopback IPv4 address on this machine (none found in os.networkInterfaces())");
  return found.address;
};

let gw: GatewayProc;
let browser: Browser;
let base: string;
/** Every request line the browser sent to the gateway. */
const requested: string[] = [];

beforeAll(async () => {
  const address = ownAddress();
  gw = await startGatewayProc({ model: null, extraEnv: { CAIRN_HOST: address } });
  base = `http://${NAME}:${new URL(gw.url).port}`;
  browser = await launchBrowser([`--host-resolver-rules=MAP ${NAME} ${address}`, `--unsafely-treat-insecure-origin-as-secure=${base}`]);
  browser.context.on("request", (r) => requested.push(`${r.method()} ${r.url()}`));
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await gw?.dispose();
});
beforeEach(() => resetBrowserRecords(browser));

const problem = (page: Page) => page.getByTestId("auth-problem").textContent({ timeout: 5_000 });
const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));

/** No password or code ever travels in a URL. */
function expectNoSecretsInUrls(...secrets: string[]): void {
  for (const line of requested) for (const s of secrets) expect(line).not.toContain(encodeURIComponent(s).slice(0, 12));
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

// One gateway, one story, in order: set up, use, sign out and in again, and lastly get rate limited
// (which would slow every later sign-in from this address).
describe.sequential("remote access from a browser on another address", () => {
  test("first visit: the gateway prints a setup code; the setup page takes it and a password, explains each refusal, then connects", async () => {
    const page = await oneTab(browser);
    await page.goto(`${base}/`);
    await page.getByTestId("setup-form").waitFor();
    await shoot(page, "setup");
    expect(await focused(page)).toBe("setup-code");
    const code = await until(
      "the setup code in the gateway's terminal",
      async () => /one-time setup code (\S+)/.exec(gw.output())?.[1],
      (c) => !!c,
    );

    await page.getByTestId("setup-code").fill("000000");
    await page.getByTestId("setup-password").fill("short");
    await page.getByTestId("setup-confirm").fill("short");
    await page.getByTestId("setup-password").press("Enter");
    expect(await problem(page)).toContain("at least 8 characters");
    expect(requested.filter((l) => l.startsWith("POST"))).toEqual([]); // checked before sending

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
    expect(await focused(page)).toBe("setup-code");
    await shoot(page, "setup-error");

    await page.getByTestId("setup-code").fill(code as string);
    await page.getByTestId("setup-code").press("Enter");
    await waitForConnection(page, ["connected"]);
    expect(page.url()).not.toContain(code as string);
    expectNoSecretsInUrls(code as string, PASSWORD);
    // The cookie the browser holds: HttpOnly, SameSite=Strict, no Secure on plain HTTP.
    const [cookie] = await browser.context.cookies(base);
    expect(cookie).toMatchObject({ name: "cairn_session", httpOnly: true, sameSite: "Strict", secure: false });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(browser.pageErrors).toEqual([]);
  });

  test("Settings → Security: keys shown once and revoked, another device's session ended, password changed, a passkey added, then signing in with it", async () => {
    // Another device signs in too (the phone), so there is a second session to end.
    const phone = await fetch(`${gw.url}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1" },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(phone.status).toBe(200);

    const page = await oneTab(browser);
    await virtualAuthenticator(page);
    await page.goto(`${base}/#/security`);
    await page.getByTestId("security-keys").waitFor();
    expect(await page.title()).toBe("Security · cairn");
    const iphone = page.locator('[data-testid="login-session-row"]:not(.current)');
    await iphone.waitFor();
    expect(await page.getByTestId("this-device").count()).toBe(1);
    await shoot(page, "security");

    // A key with chosen scopes: shown once, with a copy button; it opens what it should.
    await page.getByTestId("key-label").fill("phone shortcut");
    await page.getByTestId("key-chosen").check();
    await page.locator('[data-testid="key-scope"][data-scope="operator.write"]').check();
    await page.getByTestId("key-create").click();
    const value = await page.getByTestId("key-value").inputValue();
    expect(value).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByTestId("key-created").textContent()).toContain("you will not see it again");
    await shoot(page, "security-key-created");
    await page.getByTestId("key-done").click();
    expect(await page.getByTestId("key-value").count()).toBe(0);
    const row = page.locator('[data-testid="key-row"]', { hasText: "phone shortcut" });
    await row.waitFor();
    expect(await row.textContent()).toContain("read, write");
    expect(await page.content()).not.toContain(value); // gone from the page for good
    const listed = JSON.parse((await gw.cli(["auth", "keys", "list", "--json"])).stdout) as { label: string; scopes: string[] }[];
    expect(listed.find((k) => k.label === "phone shortcut")?.scopes.sort()).toEqual(["operator.read", "operator.write"]);

    // Revoke asks first.
    await row.getByTestId("key-revoke").click();
    await row.getByTestId("key-revoke-cancel").click();
    expect(await row.getByTestId("key-revoked").count()).toBe(0);
    await row.getByTestId("key-revoke").click();
    await row.getByTestId("key-revoke-confirm").click();
    await row.getByTestId("key-revoked").waitFor();

    // The phone's session ends, and its cookie opens nothing any more.
    await iphone.getByTestId("session-revoke").click();
    await iphone.getByTestId("session-revoke-confirm").click();
    await until(
      "one session left",
      () => page.getByTestId("login-session-row").count(),
      (n) => n === 1,
    );
    const phoneCookie = (phone.headers.get("set-cookie") ?? "").split(";")[0];
    const after = await (await fetch(`${gw.url}/api/auth/status`, { headers: { Cookie: phoneCookie } })).json();
    expect(after).toMatchObject({ authenticated: false });

    // Changing the password from a remote browser needs the current one.
    await page.getByTestId("password-change").click();
    expect(await focused(page)).toBe("password-current");
    await page.getByTestId("password-current").fill("wrong one");
    await page.getByTestId("password-new").fill(NEW_PASSWORD);
    await page.getByTestId("password-confirm").fill(NEW_PASSWORD);
    await page.getByTestId("password-submit").click();
    await until(
      "the wrong current password",
      () => page.getByTestId("password-problem").textContent(),
      (t) => !!t?.includes("current password is wrong"),
    );
    await page.getByTestId("password-current").fill(PASSWORD);
    await page.getByTestId("password-submit").click();
    await page.getByTestId("password-done").waitFor();

    // A passkey from the virtual authenticator, verified by the gateway.
    await page.getByTestId("passkey-name").fill("test laptop");
    await page.getByTestId("passkey-add").click();
    await page.locator('[data-testid="passkey-row"]', { hasText: "test laptop" }).waitFor();

    // Log out: back to the sign-in page, which now offers the passkey, and the passkey gets in.
    await page.getByTestId("logout").click();
    await page.getByTestId("login-passkey").waitFor();
    expect(await browser.context.cookies(base)).toEqual([]);
    await shoot(page, "login-with-passkey");
    await page.getByTestId("login-passkey").click();
    await waitForConnection(page, ["connected"]);
    const events = (await gw.cli(["events", "tail", "--kind", "auth", "--json", "--limit", "100"], { timeoutMs: 30_000 })).stdout;
    expect(events).toContain("auth.passkey_registered");
    expect(events).not.toContain(NEW_PASSWORD);
    expect(events).not.toContain(value);
    expect(browser.pageErrors).toEqual([]);
    expectNoSecretsInUrls(PASSWORD, NEW_PASSWORD);
  });

  test("logging out everywhere from a second tab brings the sign-in page back in the first", async () => {
    const page = await oneTab(browser);
    await page.goto(`${base}/`);
    await waitForConnection(page, ["connected"]);
    const second = await browser.context.newPage();
    await second.goto(`${base}/#/security`);
    await second.getByTestId("logout-all").click();
    await second.getByTestId("logout-all-confirm").click();
    await second.getByTestId("login-form").waitFor();
    // This tab's socket was closed (1008) by the event, and it asks again.
    await page.getByTestId("login-form").waitFor();
    expect(browser.pageErrors).toEqual([]);
  });

  test("the sign-in page refuses a wrong password, then counts down the guess limit's Retry-After", async () => {
    const page = await oneTab(browser);
    await page.goto(`${base}/`);
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
    // The edge allows 10 wrong guesses per address (the setup code typo spent one), then one per 6 s.
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) {
      await pw.fill(`nope ${i}`);
      const answer = page.waitForResponse((r) => r.url().endsWith("/api/auth/login"));
      await page.getByTestId("login-submit").click();
      status = (await answer).status();
    }
    expect(status).toBe(429);
    const text = await until(
      "the countdown",
      () => problem(page),
      (t) => !!t?.startsWith("Too many attempts"),
    );
    expect(text).toMatch(/^Too many attempts, try again in [1-6] s\.$/);
    expect(await page.getByTestId("login-submit").isDisabled()).toBe(true);
    await shoot(page, "login-rate-limited");
    // The right password also waits its turn, then gets in.
    await pw.fill(NEW_PASSWORD);
    await until("the button back", () => page.getByTestId("login-submit").isEnabled(), Boolean, 10_000);
    await page.getByTestId("login-submit").click();
    await waitForConnection(page, ["connected"]);
    expect(browser.pageErrors).toEqual([]);
  });
});
