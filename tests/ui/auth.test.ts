/**
 * The UI's sign-in API client (ui/src/lib/auth.ts) against a recording fetch: what each call sends
 * (JSON bodies, never a credential in the URL), how every error answer reads to a person (wrong
 * password, expired setup code, `429` + Retry-After), which page a status leads to, and the passkey
 * ceremonies' round trips (ui/src/lib/passkeys.ts) with the browser's WebAuthn calls injected.
 */
import { describe, expect, test } from "vitest";
import {
  AuthApi,
  AuthError,
  authErrorText,
  canLogOut,
  deviceName,
  parseRetryAfter,
  passwordProblem,
  phaseOf,
} from "../../ui/src/lib/auth.ts";
import { type Ceremonies, registerPasskey, signInWithPasskey } from "../../ui/src/lib/passkeys.ts";
import type { AuthStatus } from "../../ui/src/lib/wire.ts";

type Sent = { url: string; method: string; headers: Record<string, string>; body: unknown; credentials?: string };

/** A fetch that records each request and answers from `answer`. */
function recorder(answer: (req: Sent) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req: Sent = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      credentials: init?.credentials,
    };
    sent.push(req);
    return answer(req);
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
const refusal = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message } }, headers);

const status = (s: Partial<AuthStatus> = {}): AuthStatus => ({
  local: false,
  authRequired: true,
  authenticated: false,
  setupRequired: false,
  password: true,
  passkeys: false,
  principal: null,
  ...s,
});

async function failure(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AuthError) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("requests", () => {
  test("each call goes to its route as JSON, same-origin, with no credential in the URL", async () => {
    const r = recorder(() => json(200, { ok: true }));
    const api = new AuthApi({ fetch: r.fetch });
    await api.login("hunter2 hunter2");
    await api.setup("123456", "a long passphrase");
    await api.setup("123456");
    await api.logout();
    await api.logoutAll();
    expect(r.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /api/auth/login",
      "POST /api/auth/setup",
      "POST /api/auth/setup",
      "POST /api/auth/logout",
      "POST /api/auth/logout-all",
    ]);
    expect(r.sent.map((s) => s.body)).toEqual([
      { password: "hunter2 hunter2" },
      { code: "123456", password: "a long passphrase" },
      { code: "123456" },
      {},
      {},
    ]);
    for (const s of r.sent) {
      expect(s.url).not.toContain("?");
      expect(s.headers["Content-Type"]).toBe("application/json");
      expect(s.credentials).toBe("same-origin");
    }
  });

  test("status is a GET without a body", async () => {
    const r = recorder(() => json(200, status({ authenticated: true })));
    expect(await new AuthApi({ fetch: r.fetch }).status()).toMatchObject({ authenticated: true });
    expect(r.sent[0]).toMatchObject({ method: "GET", url: "/api/auth/status", body: undefined });
  });
});

describe("errors", () => {
  test("the gateway's code and message are kept", async () => {
    const r = recorder(() => refusal(401, "unauthorized", "wrong password"));
    const e = await failure(new AuthApi({ fetch: r.fetch }).login("x"));
    expect(e).toMatchObject({ code: "unauthorized", message: "wrong password", status: 401, retryAfter: null });
  });

  test("a 429 carries Retry-After, as seconds or as an HTTP date", async () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    const secs = recorder(() => refusal(429, "rate_limited", "slow down", { "Retry-After": "17" }));
    expect((await failure(new AuthApi({ fetch: secs.fetch }).login("x"))).retryAfter).toBe(17);
    const date = recorder(() => refusal(429, "rate_limited", "slow down", { "Retry-After": "Wed, 01 Jan 2025 00:00:42 GMT" }));
    expect((await failure(new AuthApi({ fetch: date.fetch, now: () => now }).login("x"))).retryAfter).toBe(42);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
  });

  test("an answer that is not the gateway's JSON is named by its status", async () => {
    const html = recorder(() => new Response("<h1>Bad Gateway</h1>", { status: 502, statusText: "Bad Gateway" }));
    expect(await failure(new AuthApi({ fetch: html.fetch }).login("x"))).toMatchObject({ code: "internal", status: 502 });
    const limited = recorder(() => new Response("", { status: 429, headers: { "Retry-After": "3" } }));
    expect(await failure(new AuthApi({ fetch: limited.fetch }).login("x"))).toMatchObject({ code: "rate_limited", retryAfter: 3 });
  });

  test("an unreachable gateway is a local `unavailable`", async () => {
    const down = recorder(() => Promise.reject(new TypeError("Failed to fetch")));
    expect(await failure(new AuthApi({ fetch: down.fetch }).status())).toMatchObject({ code: "unavailable", status: 0 });
  });

  test("each refusal reads as what to do next", () => {
    const e = (code: string, retryAfter: number | null = null) => new AuthError(code, `raw ${code}`, 400, retryAfter);
    expect(authErrorText(e("rate_limited", 7), "login")).toBe("Too many attempts, try again in 7 s.");
    expect(authErrorText(e("rate_limited"), "setup")).toBe("Too many attempts, try again in a moment.");
    expect(authErrorText(e("unauthorized"), "login")).toBe("Wrong password.");
    expect(authErrorText(e("unauthorized"), "setup")).toContain("`cairn auth setup-code`");
    expect(authErrorText(e("unauthorized"), "passkey-login")).toBe("That passkey was not accepted.");
    expect(authErrorText(e("setup_closed"), "setup")).toContain("sign in instead");
    expect(authErrorText(e("bad_request"), "setup")).toBe("raw bad_request");
    const webauthn = (name: string) => Object.assign(new Error("raw"), { name });
    expect(authErrorText(webauthn("NotAllowedError"), "passkey-login")).toContain("cancelled or timed out");
    expect(authErrorText(webauthn("InvalidStateError"), "passkey-register")).toContain("already holds a passkey");
    expect(authErrorText(webauthn("SecurityError"), "passkey-register")).toContain("https");
    expect(authErrorText(new Error("something else"), "other")).toBe("something else");
  });
});

describe("which page shows", () => {
  test("the app when no sign-in is needed or it is done; else setup before the first credential, then sign-in", () => {
    expect(phaseOf(status({ local: true, authRequired: false }))).toBe("open");
    expect(phaseOf(status({ authenticated: true }))).toBe("open");
    expect(phaseOf(status({ setupRequired: true, password: false }))).toBe("setup");
    expect(phaseOf(status())).toBe("login");
    expect(phaseOf(status({ password: false, passkeys: true }))).toBe("login");
  });

  test("only a browser login session offers Log out", () => {
    const principal = (kind: "local" | "session" | "key" | "token") => ({ kind, label: kind, scopes: [] });
    expect(canLogOut(status({ authenticated: true, principal: principal("session") }))).toBe(true);
    expect(canLogOut(status({ local: true, authRequired: false, principal: principal("local") }))).toBe(false);
    expect(canLogOut(status({ authenticated: true, principal: principal("key") }))).toBe(false);
    expect(canLogOut(null)).toBe(false);
  });
});

describe("forms", () => {
  test("a new password is checked before it is sent", () => {
    expect(passwordProblem("short", "short", 8, 1024)).toContain("at least 8");
    expect(passwordProblem("x".repeat(1025), "x".repeat(1025), 8, 1024)).toContain("at most 1024");
    expect(passwordProblem("long enough", "long enougH", 8, 1024)).toContain("differ");
    expect(passwordProblem("long enough", "long enough", 8, 1024)).toBeNull();
  });

  test("devices are named as people name them", () => {
    expect(deviceName("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36")).toBe(
      "Chrome on Android",
    );
    expect(
      deviceName("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1"),
    ).toBe("Safari on iOS");
    expect(deviceName("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0")).toBe(
      "Edge on Windows",
    );
    expect(deviceName("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0")).toBe("Firefox on macOS");
    expect(deviceName("curl/8.5.0")).toBe("Browser");
  });
});

describe("passkey ceremonies", () => {
  const ceremonies = (log: string[]): Ceremonies => ({
    startRegistration: (async (o: { optionsJSON: unknown }) => {
      log.push(`create ${JSON.stringify(o.optionsJSON)}`);
      return { id: "cred1", type: "public-key" };
    }) as unknown as Ceremonies["startRegistration"],
    startAuthentication: (async (o: { optionsJSON: unknown }) => {
      log.push(`get ${JSON.stringify(o.optionsJSON)}`);
      return { id: "cred1", type: "public-key" };
    }) as unknown as Ceremonies["startAuthentication"],
  });

  test("registering: options, the browser's prompt, then verify with the response and the name", async () => {
    const log: string[] = [];
    const r = recorder((req) =>
      req.url.endsWith("/options") ? json(200, { challenge: "c1" }) : json(200, { id: "cred1", name: "Laptop" }),
    );
    expect(await registerPasskey(new AuthApi({ fetch: r.fetch }), "Laptop", ceremonies(log))).toEqual({ id: "cred1", name: "Laptop" });
    expect(log).toEqual(['create {"challenge":"c1"}']);
    expect(r.sent.map((s) => [s.url, s.body])).toEqual([
      ["/api/auth/passkey/register/options", { name: "Laptop" }],
      ["/api/auth/passkey/register/verify", { name: "Laptop", response: { id: "cred1", type: "public-key" } }],
    ]);
  });

  test("signing in: options, the prompt, verify; a refused passkey is an AuthError", async () => {
    const log: string[] = [];
    const ok = recorder((req) => (req.url.endsWith("/options") ? json(200, { challenge: "c2" }) : json(200, { ok: true })));
    await signInWithPasskey(new AuthApi({ fetch: ok.fetch }), ceremonies(log));
    expect(log).toEqual(['get {"challenge":"c2"}']);
    expect(ok.sent.map((s) => s.url)).toEqual(["/api/auth/passkey/login/options", "/api/auth/passkey/login/verify"]);
    const no = recorder((req) =>
      req.url.endsWith("/options") ? json(200, { challenge: "c3" }) : refusal(401, "unauthorized", "unknown passkey"),
    );
    const e = await failure(signInWithPasskey(new AuthApi({ fetch: no.fetch }), ceremonies([])));
    expect(authErrorText(e, "passkey-login")).toBe("That passkey was not accepted.");
  });

  test("a cancelled prompt sends no verify", async () => {
    const r = recorder(() => json(200, { challenge: "c4" }));
    const cancel: Ceremonies = {
      ...ceremonies([]),
      startAuthentication: (async () => {
        throw Object.assign(new Error("The operation either timed out or was not allowed."), { name: "NotAllowedError" });
      }) as unknown as Ceremonies["startAuthentication"],
    };
    await expect(signInWithPasskey(new AuthApi({ fetch: r.fetch }), cancel)).rejects.toMatchObject({ name: "NotAllowedError" });
    expect(r.sent.map((s) => s.url)).toEqual(["/api/auth/passkey/login/options"]);
  });
});
