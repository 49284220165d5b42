import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import { AuthId, Scope, decodeOrFail, type AuthOverview, type CredentialStatus, type Principal } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { decodeRow, decodeRows } from "./rows.ts";

/** `q.auth.resolve`: the principal behind the SHA-256 of a key or login-session token. */
export const ResolveCredential = Schema.Struct({ tokenHash: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)) });
/** `q.auth.overview`: `currentSessionId` marks the caller's own login session in the list. */
export const AuthOverviewParams = Schema.Struct({ currentSessionId: Schema.optionalKey(AuthId) });

const Text = Schema.String;
const Int = Schema.Number;
const OrNull = Schema.NullOr;
const KeyRow = Schema.Struct({
  id: Text,
  label: Text,
  scopes: Schema.fromJsonString(Schema.Array(Scope)),
  prefix: Text,
  created_at: Int,
  created_by: Text,
  revoked_at: OrNull(Int),
});
const SessionRow = Schema.Struct({
  id: Text,
  method: Schema.Literals(["password", "passkey", "setup"]),
  created_at: Int,
  expires_at: Int,
  address: Text,
  client: Text,
});
const PasskeyRow = Schema.Struct({ id: Text, name: Text, created_at: Int, last_used_at: OrNull(Int) });

/** Statements of one database (a rebuild swaps the database: they are prepared again for the new one). */
const prepare = (db: Db) => {
  const keyByHash = db.prepare("SELECT id, label, scopes, prefix, created_at, created_by, revoked_at FROM auth_keys WHERE hash = ?");
  const sessionByHash = db.prepare(
    "SELECT id, method, created_at, expires_at, address, client FROM auth_sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
  );
  const keys = db.prepare("SELECT id, label, scopes, prefix, created_at, created_by, revoked_at FROM auth_keys ORDER BY created_at DESC");
  const sessions = db.prepare(
    "SELECT id, method, created_at, expires_at, address, client FROM auth_sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 200",
  );
  const passkeys = db.prepare("SELECT id, name, created_at, last_used_at FROM auth_passkeys ORDER BY created_at");
  const password = db.prepare("SELECT changed_at FROM auth_password WHERE id = 1").pluck();
  const passkeyCount = db.prepare("SELECT count(*) FROM auth_passkeys").pluck();
  return { keyByHash, sessionByHash, keys, sessions, passkeys, password, passkeyCount };
};

export const authQueries = (getDb: () => Db, now: () => number) => {
  let bound: { db: Db; s: ReturnType<typeof prepare> } | undefined;
  const st = () => {
    const db = getDb();
    if (bound?.db !== db) bound = { db, s: prepare(db) };
    return bound.s;
  };
  return {
    /** Which credentials exist (the login page offers those; none means first-time setup). */
    credentials: (): CredentialStatus => ({
      password: st().password.get() !== undefined,
      passkeys: decodeRow(Schema.Number, st().passkeyCount.get(), "auth_passkeys") ?? 0,
    }),
    resolve(tokenHash: string): Principal | null {
      const key = decodeRow(KeyRow, st().keyByHash.get(tokenHash), "auth_keys");
      if (key) {
        if (key.revoked_at !== null) return null;
        return { kind: "key", id: key.id, label: `key:${key.label}`, scopes: key.scopes, expiresAt: null };
      }
      const s = decodeRow(SessionRow, st().sessionByHash.get(tokenHash, now()), "auth_sessions");
      if (!s) return null;
      // A logged-in owner holds every scope; keys are how narrower access is handed out.
      return { kind: "session", id: s.id, label: `session:${s.id}`, scopes: ["operator.admin"], expiresAt: s.expires_at };
    },
    overview(currentSessionId?: string): AuthOverview {
      const changedAt = decodeRow(Schema.Number, st().password.get(), "auth_password");
      return {
        password: { set: changedAt !== undefined, changedAt: changedAt ?? null },
        passkeys: decodeRows(PasskeyRow, st().passkeys.all(), "auth_passkeys").map((p) => ({
          id: p.id,
          name: p.name,
          createdAt: p.created_at,
          lastUsedAt: p.last_used_at,
        })),
        keys: decodeRows(KeyRow, st().keys.all(), "auth_keys").map((k) => ({
          id: k.id,
          label: k.label,
          scopes: k.scopes,
          prefix: k.prefix,
          createdAt: k.created_at,
          createdBy: k.created_by,
          revokedAt: k.revoked_at,
        })),
        sessions: decodeRows(SessionRow, st().sessions.all(now()), "auth_sessions").map((s) => ({
          id: s.id,
          method: s.method,
          createdAt: s.created_at,
          expiresAt: s.expires_at,
          address: s.address,
          client: s.client,
          current: s.id === currentSessionId,
        })),
      };
    },
  };
};
export type AuthQueries = ReturnType<typeof authQueries>;

/** Answers `q.auth.resolve`, `q.auth.credentials` and `q.auth.overview` over NATS. */
export const serveAuthQueries = (nc: NatsConnection, q: AuthQueries) => [
  serve(nc, subjects.query("auth", "credentials"), () => q.credentials()),
  serve(nc, subjects.query("auth", "resolve"), (p) => ({
    principal: q.resolve(decodeOrFail(ResolveCredential, p, "auth.resolve params").tokenHash),
  })),
  serve(nc, subjects.query("auth", "overview"), (p) =>
    q.overview(decodeOrFail(AuthOverviewParams, p ?? {}, "auth.overview params").currentSessionId),
  ),
];
