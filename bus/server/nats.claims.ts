/**
 * Changing the CAIRN account's claims on a running server (revoking a node's user JWT) without a
 * reload: re-sign the account JWT with the operator key and push it on `$SYS.REQ.CLAIMS.UPDATE`,
 * which the full resolver of nats-server 2.9.10 accepts, stores in its dir, and applies at once
 * (connections of a revoked user are closed with "User Authentication Revoked").
 */
import { join } from "node:path";
import { encodeAccount, type Account } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../../schemas/index.ts";
import { newestValidJwt, readSeedFile, type NatsAuth } from "./nats.auth.ts";
import { writeFileAtomic } from "./nats.files.ts";
import { verifiedClaims } from "./nkey.fast.ts";

/** The CAIRN account JWT currently in force: the newest of cairn's copy and the resolver's. */
export async function currentAppAccountJwt(auth: NatsAuth): Promise<string> {
  const files = [join(auth.paths.jwtDir, "cairn-account.jwt"), join(auth.paths.resolverDir, `${auth.account.publicKey}.jwt`)];
  const jwt = await newestValidJwt(files, (c) => c.sub === auth.account.publicKey && c.iss === auth.operator.publicKey);
  return jwt ?? auth.account.jwt;
}

/**
 * Applies `edit` to the CAIRN account claims, signs them with the operator key, pushes them to the
 * server through `systemNc` (a connection with `auth.creds.system`) and stores them so the next
 * start preloads them too. Returns the new JWT. Throws `CairnError("unavailable")` if the server
 * does not confirm.
 */
export async function updateAppAccountClaims(
  auth: NatsAuth,
  systemNc: NatsConnection,
  edit: (claims: Partial<Account>) => Partial<Account>,
): Promise<string> {
  const operator = await readSeedFile(auth.operator.seedFile, "O");
  if (!operator) throw new CairnError("unavailable", `operator key missing: ${auth.operator.seedFile}`);
  const current = verifiedClaims<Account>(await currentAppAccountJwt(auth));
  const jwt = await encodeAccount(auth.account.name, auth.account.publicKey, edit(structuredClone(current.nats)), {
    signer: operator,
  });
  let reply: { data?: { code?: number }; error?: { code?: number; description?: string } };
  try {
    reply = (await systemNc.request("$SYS.REQ.CLAIMS.UPDATE", jwt, { timeout: 5_000 })).json();
  } catch (e) {
    throw new CairnError("unavailable", `account claims update not answered: ${(e as Error).message}`);
  }
  if (reply.error || reply.data?.code !== 200) {
    throw new CairnError("unavailable", `account claims update refused: ${JSON.stringify(reply.error ?? reply)}`);
  }
  await writeFileAtomic(join(auth.paths.jwtDir, "cairn-account.jwt"), `${jwt}\n`, 0o600);
  return jwt;
}

/**
 * Revokes every user JWT issued to `userPublicKey` at or before `at` (NATS compares the JWT's
 * `iat`, in whole seconds: a JWT minted for the same key in the same second is revoked too).
 */
export async function revokeUser(auth: NatsAuth, systemNc: NatsConnection, userPublicKey: string, at: Date = new Date()): Promise<void> {
  if (!userPublicKey.startsWith("U")) throw new CairnError("bad_request", "only user (U...) keys can be revoked");
  await updateAppAccountClaims(auth, systemNc, (c) => ({
    ...c,
    revocations: { ...(c.revocations ?? {}), [userPublicKey]: Math.floor(at.getTime() / 1000) },
  }));
}
