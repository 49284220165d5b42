import type { AuthStatus } from "./wire.ts";

/**
 * The gateway's sign-in API over HTTP (`/api/auth/*`, same origin). The session token travels only
 * in the HttpOnly cookie the gateway sets: this code never sees it, and no credential ever goes into
 * a URL. Every POST is JSON, so the browser sends its Origin and a cross-site form cannot forge one.
 */

/** A failed auth call: the gateway's `{error: {code, message}}`, or a local `unavailable`. */
export class AuthError extends Error {
  readonly code: string;
  /** The HTTP status (0 when the gateway could not be reached). */
  readonly status: number;
  /** Seconds to wait before trying again (`429` with `Retry-After`). */
  readonly retryAfter: number | null;
  constructor(code: string, message: string, status: number, retryAfter: number | null = null) {
    super(message);
    this.name = "AuthError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Which page the app shows: the app itself, the one-time setup, or the sign-in page. */
export type GatePhase = "checking" | "setup" | "login" | "open";

export const phaseOf = (s: AuthStatus): GatePhase => (!s.authRequired || s.authenticated ? "open" : s.setupRequired ? "setup" : "login");

/** Only a browser login session can log out; a local client or an API key has nothing to end. */
export const canLogOut = (s: AuthStatus | null): boolean => s?.principal?.kind === "session";

/** `Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null || header.trim() === "") return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  429: "rate_limited",
};

export type AuthApiOptions = {
  /** Injected for tests; defaults to the browser's. */
  fetch?: typeof fetch;
  now?: () => number;
};

export class AuthApi {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(opts: AuthApiOptions = {}) {
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#now = opts.now ?? Date.now;
  }

  status(): Promise<AuthStatus> {
    return this.#call("GET", "/api/auth/status") as Promise<AuthStatus>;
  }

  /** Claims a fresh gateway with the one-time code; without a password, a passkey follows. */
  async setup(code: string, password?: string): Promise<void> {
    await this.#call("POST", "/api/auth/setup", password === undefined ? { code } : { code, password });
  }

  async login(password: string): Promise<void> {
    await this.#call("POST", "/api/auth/login", { password });
  }

  async logout(): Promise<void> {
    await this.#call("POST", "/api/auth/logout", {});
  }

  /** Ends every login session, this one too. */
  async logoutAll(): Promise<void> {
    await this.#call("POST", "/api/auth/logout-all", {});
  }

  passkeyRegisterOptions(name?: string): Promise<unknown> {
    return this.#call("POST", "/api/auth/passkey/register/options", name ? { name } : {});
  }

  passkeyRegisterVerify(response: unknown, name?: string): Promise<{ id: string; name: string }> {
    return this.#call("POST", "/api/auth/passkey/register/verify", name ? { name, response } : { response }) as Promise<{
      id: string;
      name: string;
    }>;
  }

  passkeyLoginOptions(): Promise<unknown> {
    return this.#call("POST", "/api/auth/passkey/login/options", {});
  }

  async passkeyLoginVerify(response: unknown): Promise<void> {
    await this.#call("POST", "/api/auth/passkey/login/verify", { response });
  }

  async #call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.#fetch(path, {
        method,
        credentials: "same-origin",
        cache: "no-store",
        headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new AuthError("unavailable", "Cannot reach the gateway. Check the connection and try again.", 0);
    }
    const text = await res.text().catch(() => "");
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page: the status code says enough.
    }
    if (res.ok) return json;
    const err = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof err?.code === "string" ? err.code : (STATUS_CODES[res.status] ?? "internal");
    const message = typeof err?.message === "string" ? err.message : `The gateway answered ${res.status} ${res.statusText}`.trim();
    throw new AuthError(code, message, res.status, parseRetryAfter(res.headers.get("Retry-After"), this.#now()));
  }
}

/** What the person was doing when an error came: it decides how the error reads. */
export type AuthAction = "login" | "setup" | "passkey-login" | "passkey-register" | "other";

/** A WebAuthn ceremony's failure (a DOMException, or @simplewebauthn's WebAuthnError that keeps its name). */
function webAuthnText(e: Error): string | null {
  switch (e.name) {
    case "NotAllowedError":
    case "AbortError":
      return "The passkey request was cancelled or timed out.";
    case "InvalidStateError":
      return "This device already holds a passkey for this gateway.";
    case "SecurityError":
      return "Passkeys need a secure address (https, or localhost) that matches the gateway's configured name.";
    case "NotSupportedError":
      return "This device has no authenticator that can make a passkey the gateway accepts.";
    default:
      return null;
  }
}

/** An auth failure as one sentence a person can act on. */
export function authErrorText(e: unknown, action: AuthAction): string {
  if (!(e instanceof AuthError)) {
    if (e instanceof Error) return webAuthnText(e) ?? e.message;
    return String(e);
  }
  switch (e.code) {
    case "rate_limited":
      return e.retryAfter !== null ? `Too many attempts, try again in ${e.retryAfter} s.` : "Too many attempts, try again in a moment.";
    case "unauthorized":
      if (action === "login") return "Wrong password.";
      if (action === "setup")
        return "That setup code is wrong or has expired. Run `cairn auth setup-code` on the gateway's machine for a new one.";
      if (action === "passkey-login") return "That passkey was not accepted.";
      return "You are not signed in (or your session has ended). Reload the page to sign in again.";
    case "setup_closed":
      return "This gateway is already set up: sign in instead.";
    default:
      return e.message;
  }
}

/** Why a new password cannot be used yet, or null. Checked before sending, so a typo costs no attempt. */
export function passwordProblem(password: string, confirm: string, min: number, max: number): string | null {
  if (password.length < min) return `A password needs at least ${min} characters.`;
  if (password.length > max) return `A password may have at most ${max} characters.`;
  if (password !== confirm) return "The two passwords differ.";
  return null;
}

/** A device as a person names it, from a user agent: "Chrome on Android" (a new passkey's default name, a login session's label). */
export function deviceName(ua: string): string {
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad|iPod/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : null;
  return os ? `${browser} on ${os}` : browser;
}
