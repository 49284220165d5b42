import { createHash } from "node:crypto";
import type { Subscription } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { API_KEY_PREFIX, Principal, SCOPES } from "../../schemas/index.ts";
import { H } from "../event-log.decode.ts";
import { requestAs } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import { bearerToken, isLocalClient, tokensEqual, type ClientFacts } from "./auth.ts";
import { sessionTokenOf } from "./session.cookie.ts";
import type { BusDeps } from "./ws.methods.ts";

/** A client on this machine (loopback, not proxied): the owner, holding every scope; the log says "web" as before. */
export const LOCAL_PRINCIPAL: Principal = { kind: "local", id: "local", label: "web", scopes: [...SCOPES], expiresAt: null };
const TOKEN_PRINCIPAL: Principal = { kind: "token", id: "token", label: "token", scopes: [...SCOPES], expiresAt: null };

/** How long an answer is reused; revocations clear the cache at once (the edge watches `evt.auth.*`). */
const HIT_TTL_MS = 60_000;
const MISS_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

/** An API key (`ck_` + 32 bytes) or a login-session token (32 bytes), base64url. */
const ISSUED_SHAPE = /^(ck_)?[A-Za-z0-9_-]{43}$/;

/**
 * A secret of a shape cairn issues (256 random bits): a miss is a stale credential (a revoked key,
 * an ended login still in a browser), not a guess, so it neither spends nor waits on the guess
 * limit. Only what a person chose (the auth token) is guessable.
 */
export const isIssuedSecret = (secret: string): boolean => ISSUED_SHAPE.test(secret);

const Resolved = Schema.Struct({ principal: Schema.NullOr(Principal) });

export interface PrincipalsOptions {
  bus: BusDeps;
  /** CAIRN_AUTH_TOKEN: a bearer token holding every scope (for scripts that predate API keys). */
  legacyToken: string | undefined;
  /** `[auth] require_on_loopback`: local clients log in too. */
  requireOnLoopback: boolean;
  now: () => number;
}

/** What a request presents: the login cookie, a bearer value or an `auth` block of `connect`. */
export interface Presented {
  cookie?: string | undefined;
  bearer?: string | undefined;
}

export const presentedBy = (header: (name: string) => string): Presented => ({
  cookie: sessionTokenOf(header("cookie")),
  bearer: bearerToken(header("authorization")),
});

/**
 * Who a request is, from what it presents. Keys and login sessions are resolved by the SHA-256 of
 * the secret through `q.auth.resolve` (the auth read model), and cached briefly: the cost of a
 * scope check per WebSocket call is then a Set lookup, not a bus round trip.
 */
export class Principals {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private sub: Subscription | undefined;

  constructor(private readonly o: PrincipalsOptions) {}

  /** True when this client needs no credential. */
  isTrustedLocal(f: ClientFacts): boolean {
    return !this.o.requireOnLoopback && isLocalClient(f);
  }

  /** The principal behind a presented secret, or null (unknown, revoked, expired, or not a secret we issue). */
  async resolve(secret: string): Promise<Principal | null> {
    if (this.o.legacyToken !== undefined && tokensEqual(secret, this.o.legacyToken)) return TOKEN_PRINCIPAL;
    // Only the shapes we issue are looked up: a guess of another shape costs no bus round trip.
    if (!isIssuedSecret(secret)) return null;
    const hash = createHash("sha256").update(secret, "utf8").digest("hex");
    const now = this.o.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal && (hit.principal.expiresAt ?? Infinity) > now ? hit.principal : null;
    const { principal } = await requestAs(this.o.bus.nc, subjects.query("auth", "resolve"), { tokenHash: hash }, Resolved, {
      timeoutMs: this.o.bus.requestTimeoutMs,
    });
    this.remember(hash, principal);
    return principal;
  }

  /** A login just made: its session is known before the read model has caught up. */
  prime(token: string, principal: Principal): void {
    this.remember(createHash("sha256").update(token, "utf8").digest("hex"), principal);
  }

  /** The principal of a request: local, or its cookie, or its bearer key/token. */
  async of(f: ClientFacts, presented: Presented): Promise<Principal | null> {
    // A cairn key is honoured even from loopback, so a script sees what its key may do; any other
    // bearer from loopback is the placeholder OpenAI SDKs insist on ("sk-local"): the owner's.
    const { bearer } = presented;
    const local = this.isTrustedLocal(f);
    if (bearer !== undefined && (!local || isIssuedSecret(bearer))) return this.resolve(bearer);
    if (local) return LOCAL_PRINCIPAL;
    return presented.cookie === undefined ? null : this.resolve(presented.cookie);
  }

  /**
   * Calls `ended` with a test for the principals a credential event ends (a revoked key, a logout,
   * "log out everywhere"), straight from the event as it is appended — not from the read model,
   * which may not have applied it yet. Cached answers are dropped on any credential event.
   */
  watch(ended: (gone: (p: Principal) => boolean) => void): void {
    this.sub = this.o.bus.nc.subscribe(subjects.events("auth", "global"), {
      callback: (_err, msg) => {
        this.cache.clear();
        const type = msg.headers?.get(H.type);
        let data: { id?: unknown; sessionId?: unknown } = {};
        try {
          data = msg.json();
        } catch {}
        if (type === "auth.key_revoked") ended((p) => p.kind === "key" && p.id === data.id);
        else if (type === "auth.session_revoked") ended((p) => p.kind === "session" && p.id === data.sessionId);
        else if (type === "auth.sessions_revoked_all") ended((p) => p.kind === "session");
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  private remember(hash: string, principal: Principal | null): void {
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(hash, { principal, until: this.o.now() + (principal ? HIT_TTL_MS : MISS_TTL_MS) });
  }
}

/** Whether a secret looks like one of our API keys (to count guesses against the right limit). */
export const looksLikeApiKey = (s: string): boolean => s.startsWith(API_KEY_PREFIX);
