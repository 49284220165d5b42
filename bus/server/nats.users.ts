/**
 * User JWTs and `.creds` files. The gateway's local user has full access to CAIRN, the CLI's the
 * narrower grant of `nats.grants.ts`; nodes get a JWT minted for the public key they generated
 * themselves (their seed never leaves the node), scoped to their own subjects. Every user but the
 * gateway carries per-connection limits.
 */
import { createUser, encodeUser, fmtCreds, fromPublic, fromSeed, type KeyPair, type User } from "@nats-io/jwt";
import { credsParts } from "./creds.authenticator.ts";
import { fastKeyPair, verifiedClaims } from "./nkey.fast.ts";
import { CairnError } from "../../schemas/index.ts";
import { readTextIfExists, writeFileAtomic } from "./nats.files.ts";
import { NODE_LIMITS } from "./nats.grants.ts";
import type { SubjectPermission, UserLimits, UserPermissions } from "./nats.user.types.ts";

export type { SubjectPermission, UserPermissions, UserLimits } from "./nats.user.types.ts";

export interface MintUserOptions {
  /** Shown in server logs and monitoring (e.g. `node-<id>`). */
  readonly name: string;
  /** The user's own public nkey (`U...`). */
  readonly publicKey: string;
  /** Omitted = full access to the account. */
  readonly permissions?: UserPermissions;
  /** Per-connection caps; default `NODE_LIMITS` (nodes are who this mints for). */
  readonly limits?: UserLimits;
  /** No expiry when omitted (revocation goes through the account JWT). */
  readonly expiresAt?: Date;
}

/** The account a user JWT is issued into, and the seed file of the key that signs it. */
export interface UserIssuer {
  readonly account: { readonly publicKey: string; readonly signingSeedFile: string };
}

const isSubject = (s: string): boolean => s.length > 0 && !/\s/.test(s) && !s.split(".").some((t) => t === "");

function toJwtPermission(p: SubjectPermission | undefined, what: string): { allow: string[]; deny: string[] } | undefined {
  if (!p) return undefined;
  const allow = [...(p.allow ?? [])];
  const deny = [...(p.deny ?? [])];
  for (const s of [...allow, ...deny]) {
    if (!isSubject(s)) throw new CairnError("bad_request", `invalid ${what} subject ${JSON.stringify(s)}`);
  }
  // In a JWT an empty allow list with no deny means "no restriction". A caller writing `allow: []`
  // means "nothing", so say that explicitly.
  if (p.allow !== undefined && allow.length === 0 && deny.length === 0) deny.push(">");
  return { allow, deny };
}

/** Translates `UserPermissions` (and limits) into JWT user claims (exported for tests and inspection). */
export function userClaims(perms: UserPermissions | undefined, limits?: UserLimits): Partial<User> {
  const claims: Partial<User> = limits ? { subs: limits.subs, payload: limits.payload, data: limits.data } : {};
  if (!perms) return claims;
  const pub = toJwtPermission(perms.pub, "pub");
  const sub = toJwtPermission(perms.sub, "sub");
  if (pub) claims.pub = pub;
  if (sub) claims.sub = sub;
  if (perms.allowResponses) {
    // JWT `ttl` is a Go time.Duration: nanoseconds. 0/0 lets the server apply its defaults.
    claims.resp =
      perms.allowResponses === true ? { max: 0, ttl: 0 } : { max: perms.allowResponses.max, ttl: perms.allowResponses.ttlMs * 1_000_000 };
  }
  return claims;
}

/**
 * Mints a user JWT for someone else's public key, signed by the CAIRN account signing key.
 * Combine it with the holder's seed via `formatCreds` to get a `.creds` file.
 */
export async function mintUserJwt(issuer: UserIssuer, opts: MintUserOptions): Promise<string> {
  let userKey: KeyPair;
  try {
    userKey = fromPublic(opts.publicKey);
  } catch {
    throw new CairnError("bad_request", `not an nkey public key: ${JSON.stringify(opts.publicKey)}`);
  }
  if (!opts.publicKey.startsWith("U")) throw new CairnError("bad_request", "a user JWT needs a user (U...) public key");
  const seed = await readTextIfExists(issuer.account.signingSeedFile);
  if (!seed) throw new CairnError("unavailable", `account signing key missing: ${issuer.account.signingSeedFile}`);
  const signer = fastKeyPair(new TextEncoder().encode(seed.trim()));
  const exp = opts.expiresAt ? Math.floor(opts.expiresAt.getTime() / 1000) : undefined;
  return encodeUser(opts.name, userKey, issuer.account.publicKey, userClaims(opts.permissions, opts.limits ?? NODE_LIMITS), {
    signer,
    ...(exp !== undefined ? { exp } : {}),
  });
}

/** The standard `.creds` text (`-----BEGIN NATS USER JWT-----` ... seed) for a JWT and its seed. */
export function formatCreds(jwt: string, seed: string | Uint8Array): string {
  const bytes = typeof seed === "string" ? new TextEncoder().encode(seed.trim()) : seed;
  return new TextDecoder().decode(fmtCreds(jwt, fromSeed(bytes)));
}

/** Writes a `.creds` file, mode 0600, atomically. */
export async function writeCredsFile(file: string, jwt: string, seed: string | Uint8Array): Promise<void> {
  await writeFileAtomic(file, formatCreds(jwt, seed), 0o600);
}

/** A `.creds` file's user claims (signature checked) and the account they belong to. */
const credsClaims = (text: string): { uc: ReturnType<typeof verifiedClaims<User>>; aid: string } => {
  const { jwt } = credsParts(text);
  if (jwt === undefined) throw new Error("bad credentials");
  const uc = verifiedClaims<User>(jwt);
  return { uc, aid: uc.nats.issuer_account ?? uc.iss };
};

/** What a local user may do: permissions (omitted = full access) and limits (omitted = none). */
export interface UserGrant {
  readonly permissions?: UserPermissions;
  readonly limits?: UserLimits;
}

const sortedPermission = (p: { allow?: string[]; deny?: string[] } | undefined) => ({
  allow: [...(p?.allow ?? [])].sort(),
  deny: [...(p?.deny ?? [])].sort(),
});

/** The parts of user claims that say what the user may do, in one comparable form. */
const grantKey = (n: Partial<User>): string =>
  JSON.stringify({
    pub: sortedPermission(n.pub),
    sub: sortedPermission(n.sub),
    resp: n.resp ?? null,
    subs: n.subs ?? -1,
    payload: n.payload ?? -1,
    data: n.data ?? -1,
  });

/** What `loadOrMintCreds` did. `replaced`: the user key of creds it re-issued with another grant. */
export interface MintedCreds {
  readonly issued: boolean;
  readonly replaced?: string;
}

/**
 * Keeps `file` holding valid creds for user `name` of `accountPk`, issued by `issuer` (the account
 * itself or its signing key), with exactly `grant`. An existing file that still matches (and is
 * not revoked) is left untouched, so creds copied elsewhere keep working. Creds with another grant
 * (an install from before the CLI was narrowed) are re-issued under a new key, and that key is
 * returned as `replaced` so the caller can revoke the old, wider copy.
 */
export async function loadOrMintCreds(
  file: string,
  name: string,
  accountPk: string,
  issuer: KeyPair,
  isRevoked: (userPk: string, iat: number) => boolean = () => false,
  grant: UserGrant = {},
): Promise<MintedCreds> {
  const claims = userClaims(grant.permissions, grant.limits);
  // encodeUser fills unset limits with -1 (unlimited): compare against what it will write.
  const wanted = grantKey({ data: -1, payload: -1, subs: -1, ...claims });
  let replaced: string | undefined;
  const text = await readTextIfExists(file);
  if (text !== undefined) {
    try {
      const { uc, aid } = credsClaims(text);
      const current = uc.name === name && aid === accountPk && uc.iss === issuer.getPublicKey();
      if (current && !isRevoked(uc.sub, uc.iat)) {
        if (grantKey(uc.nats) === wanted) return { issued: false };
        replaced = uc.sub;
      }
    } catch {
      // corrupt or signed by a key we no longer have: re-issue below
    }
  }
  const user = createUser();
  const jwt =
    issuer.getPublicKey() === accountPk
      ? await encodeUser(name, user, issuer, claims)
      : await encodeUser(name, user, accountPk, claims, { signer: issuer });
  await writeCredsFile(file, jwt, user.getSeed());
  return replaced ? { issued: true, replaced } : { issued: true };
}
