import { AuthError, authErrorText } from "./auth.ts";
import { asWireError, RequestError } from "./client.ts";
import { SCOPES } from "./protocol.ts";
import type { ApiKeySummary, LoginSessionSummary, Scope } from "./wire.ts";

/** Settings → Security's pure parts: what a scope allows, labels, orderings, error shapes. */

/** A failure as the Security page shows it: the stable code and a sentence. */
export type Problem = { code: string; message: string };

/** Any thrown value (a WS request error, an HTTP auth error, a WebAuthn refusal) as a Problem. */
export function problemOf(e: unknown, action: "passkey-register" | "other" = "other"): Problem {
  if (e instanceof RequestError) return e.toWire();
  if (e instanceof AuthError) return { code: e.code, message: authErrorText(e, action) };
  // A WebAuthn refusal keeps the DOM error's name (NotAllowedError, InvalidStateError, ...).
  if (action === "passkey-register" && e instanceof Error) return { code: e.name, message: authErrorText(e, action) };
  return asWireError(e);
}

/** What each scope lets a key do, in the gateway's words for the methods behind it. */
export const SCOPE_INFO: Record<Scope, string> = {
  "operator.read": "See chats, history, models, nodes and approvals",
  "operator.write": "Chat, and create, change or delete chats",
  "operator.approvals": "Answer approval requests",
  "operator.pairing": "Approve, reject and revoke nodes",
  "operator.admin": "Everything, including providers, keys and security",
};

/** The scopes one may pick one by one (admin is "Full access"). */
export const PICKABLE_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== "operator.admin");

/**
 * The `scopes` param of `auth.keys.create`: omitted for full access, else the chosen ones in the
 * gateway's order; null when nothing is chosen (the form says so instead of sending).
 */
export function scopesToGrant(full: boolean, chosen: readonly Scope[]): Scope[] | undefined | null {
  if (full) return undefined;
  const picked = SCOPES.filter((s) => chosen.includes(s));
  return picked.length ? picked : null;
}

/** "Full access", or "read, approvals". */
export const scopesLabel = (scopes: readonly Scope[]): string =>
  scopes.includes("operator.admin") ? "Full access" : scopes.map((s) => s.replace(/^operator\./, "")).join(", ");

/** Keys still in use first (newest first), then the revoked ones. */
export const orderKeys = (keys: readonly ApiKeySummary[]): ApiKeySummary[] =>
  [...keys].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt - a.createdAt);

/** This device's session first, then newest first. */
export const orderSessions = (sessions: readonly LoginSessionSummary[]): LoginSessionSummary[] =>
  [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.createdAt - a.createdAt);

/**
 * Who made a key, in words: the gateway records the principal's label (`session:<id>`,
 * `key:<label>`, `cli`, `web` for this machine's browser, `token`); a login session still listed
 * is named by its browser.
 */
export function creatorLabel(by: string, sessions: readonly LoginSessionSummary[], device: (ua: string) => string): string {
  if (by.startsWith("session:")) {
    const s = sessions.find((x) => x.id === by.slice("session:".length));
    return s?.client ? device(s.client) : "a signed-in browser";
  }
  if (by.startsWith("key:")) return `the key “${by.slice("key:".length)}”`;
  return { cli: "the cairn CLI", web: "this machine's browser", token: "the auth token" }[by] ?? by;
}

export const METHOD_LABEL: Record<LoginSessionSummary["method"], string> = {
  password: "password",
  passkey: "passkey",
  setup: "setup code",
};

/** "in 3 days", "in 5 h", "in 12 min", "expired". */
export function expiresIn(at: number, now: number): string {
  const d = at - now;
  if (d <= 0) return "expired";
  if (d < 3_600_000) return `in ${Math.max(1, Math.round(d / 60_000))} min`;
  if (d < 2 * 86_400_000) return `in ${Math.round(d / 3_600_000)} h`;
  return `in ${Math.round(d / 86_400_000)} days`;
}
