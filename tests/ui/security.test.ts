/**
 * Settings → Security's pure parts (ui/src/lib/security.ts): the scopes a new key asks for, how
 * keys and sessions are ordered and labelled, and how each kind of failure is shown.
 */
import { describe, expect, test } from "vitest";
import { AuthError } from "../../ui/src/lib/auth.ts";
import { RequestError } from "../../ui/src/lib/client.ts";
import {
  creatorLabel,
  expiresIn,
  orderKeys,
  orderSessions,
  PICKABLE_SCOPES,
  problemOf,
  scopesLabel,
  scopesToGrant,
} from "../../ui/src/lib/security.ts";
import type { ApiKeySummary, LoginSessionSummary, WireError } from "../../ui/src/lib/wire.ts";

describe("scopes", () => {
  test("Full access sends no scopes (the gateway's default); chosen ones go in the gateway's order; none is refused here", () => {
    expect(scopesToGrant(true, ["operator.read"])).toBeUndefined();
    expect(scopesToGrant(false, ["operator.pairing", "operator.read"])).toEqual(["operator.read", "operator.pairing"]);
    expect(scopesToGrant(false, [])).toBeNull();
  });

  test("admin is Full access, not a box to tick", () => {
    expect(PICKABLE_SCOPES).not.toContain("operator.admin");
    expect(PICKABLE_SCOPES).toHaveLength(4);
    expect(scopesLabel(["operator.admin"])).toBe("Full access");
    expect(scopesLabel(["operator.read", "operator.approvals"])).toBe("read, approvals");
  });
});

describe("lists", () => {
  const key = (id: string, createdAt: number, revokedAt: number | null): ApiKeySummary => ({
    id,
    label: id,
    scopes: ["operator.read"],
    prefix: "ck_x",
    createdAt,
    createdBy: "local",
    revokedAt,
  });
  const session = (id: string, createdAt: number, current: boolean): LoginSessionSummary => ({
    id,
    method: "password",
    createdAt,
    expiresAt: createdAt + 1,
    address: "10.0.0.2",
    client: "ua",
    current,
  });

  test("keys in use first, newest first; revoked ones last", () => {
    expect(orderKeys([key("old", 1, null), key("gone", 5, 6), key("new", 3, null)]).map((k) => k.id)).toEqual(["new", "old", "gone"]);
  });

  test("this device's session first", () => {
    expect(orderSessions([session("a", 5, false), session("me", 1, true), session("b", 9, false)]).map((s) => s.id)).toEqual([
      "me",
      "b",
      "a",
    ]);
  });

  test("who made a key reads as words: the browser of a listed login, the CLI, a key", () => {
    const device = (ua: string) => `device(${ua})`;
    const sessions = [session("s1", 1, true)];
    expect(creatorLabel("session:s1", sessions, device)).toBe("device(ua)");
    expect(creatorLabel("session:gone", sessions, device)).toBe("a signed-in browser");
    expect(creatorLabel("cli", sessions, device)).toBe("the cairn CLI");
    expect(creatorLabel("key:deploy", sessions, device)).toBe("the key “deploy”");
    expect(creatorLabel("something-new", sessions, device)).toBe("something-new");
  });

  test("expiry reads as a distance", () => {
    const now = 1_000_000_000;
    expect(expiresIn(now - 1, now)).toBe("expired");
    expect(expiresIn(now + 5 * 60_000, now)).toBe("in 5 min");
    expect(expiresIn(now + 5 * 3_600_000, now)).toBe("in 5 h");
    expect(expiresIn(now + 7 * 86_400_000, now)).toBe("in 7 days");
  });
});

describe("failures", () => {
  test("a WS refusal keeps its code and the gateway's message (a missing scope names the scope)", () => {
    // `forbidden` is the auth edge's code for a key outside its scopes (cast: it may not be in ErrorCode yet).
    const forbidden = new RequestError({ code: "forbidden", message: "auth.keys.create needs operator.admin" } as unknown as WireError);
    expect(problemOf(forbidden)).toEqual({ code: "forbidden", message: "auth.keys.create needs operator.admin" });
  });

  test("an HTTP refusal reads as text; a WebAuthn refusal is named after the DOM error", () => {
    expect(problemOf(new AuthError("rate_limited", "x", 429, 9), "passkey-register")).toEqual({
      code: "rate_limited",
      message: "Too many attempts, try again in 9 s.",
    });
    const cancelled = Object.assign(new Error("not allowed"), { name: "NotAllowedError" });
    expect(problemOf(cancelled, "passkey-register")).toEqual({
      code: "NotAllowedError",
      message: "The passkey request was cancelled or timed out.",
    });
    expect(problemOf(new Error("boom"))).toEqual({ code: "internal", message: "boom" });
  });
});
