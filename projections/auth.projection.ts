import type { Projection } from "./projection.ts";

/**
 * The credentials as the edge and Settings → Security need them: keys and login sessions by the
 * SHA-256 of their secret (to resolve a cookie or a key), passkeys and the password's date for
 * the list. No password hash and no passkey public key: those stay with the auth actor.
 */
export const authProjection: Projection = {
  name: "auth",
  bind: (db) => {
    const keyCreated = db.prepare(
      "INSERT OR REPLACE INTO auth_keys(id, label, scopes, hash, prefix, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const keyRevoked = db.prepare("UPDATE auth_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    const login = db.prepare(
      "INSERT OR REPLACE INTO auth_sessions(id, token_hash, method, created_at, expires_at, address, client) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const sessionRevoked = db.prepare("UPDATE auth_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    const allRevoked = db.prepare("UPDATE auth_sessions SET revoked_at = ? WHERE revoked_at IS NULL");
    const passkeyAdded = db.prepare("INSERT OR REPLACE INTO auth_passkeys(id, name, created_at) VALUES (?, ?, ?)");
    const passkeyUsed = db.prepare("UPDATE auth_passkeys SET last_used_at = ? WHERE id = ?");
    const passkeyRemoved = db.prepare("DELETE FROM auth_passkeys WHERE id = ?");
    const passwordSet = db.prepare(
      "INSERT INTO auth_password(id, changed_at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET changed_at = excluded.changed_at",
    );
    return (r) => {
      if (!r.ok || r.event.kind !== "auth") return;
      const e = r.event;
      switch (e.type) {
        case "auth.key_created":
          keyCreated.run(e.data.id, e.data.label, JSON.stringify(e.data.scopes), e.data.hash, e.data.prefix, e.time, e.data.by);
          break;
        case "auth.key_revoked":
          keyRevoked.run(e.time, e.data.id);
          break;
        case "auth.login_succeeded": {
          const d = e.data;
          login.run(d.sessionId, d.tokenHash, d.method, e.time, d.expiresAt, d.address, d.client);
          if (d.passkey) passkeyUsed.run(e.time, d.passkey.id);
          break;
        }
        case "auth.session_revoked":
          sessionRevoked.run(e.time, e.data.sessionId);
          break;
        case "auth.sessions_revoked_all":
          allRevoked.run(e.time);
          break;
        case "auth.passkey_registered":
          passkeyAdded.run(e.data.id, e.data.name, e.time);
          break;
        case "auth.passkey_removed":
          passkeyRemoved.run(e.data.id);
          break;
        case "auth.password_set":
          passwordSet.run(e.time);
          break;
      }
    };
  },
};
