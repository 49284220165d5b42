/**
 * Operator/JWT identity of the embedded server: an operator, a system account, the application
 * account CAIRN (with a signing key) and creds for the local users. Created on first start, reused
 * afterwards, so creds handed out earlier stay valid across restarts.
 */
import { join } from "node:path";
import { createAccount, createOperator, encodeAccount, encodeOperator, type Account, type ClaimsData, type KeyPair } from "@nats-io/jwt";
import { CairnError } from "../../schemas/index.ts";
import { createFileExclusive, ensurePrivateDir, natsPaths, readTextIfExists, writeFileAtomic, type NatsPaths } from "./nats.files.ts";
import { CLI_LIMITS, cliPermissions } from "./nats.grants.ts";
import { loadOrMintCreds } from "./nats.users.ts";
import { fastKeyPair, verifiedClaims } from "./nkey.fast.ts";

export const APP_ACCOUNT_NAME = "CAIRN";
export const SYSTEM_ACCOUNT_NAME = "SYS";
const OPERATOR_NAME = "cairn";

/** What `ensureNatsAuth` hands back: public identities, account JWTs and file paths (no seeds). */
export interface NatsAuth {
  readonly paths: NatsPaths;
  readonly operator: {
    readonly publicKey: string;
    readonly jwt: string;
    readonly jwtFile: string;
    /** Seed file (0600) of the operator key that signs account JWTs; read by `updateAppAccountClaims`. */
    readonly seedFile: string;
  };
  readonly systemAccount: { readonly name: string; readonly publicKey: string; readonly jwt: string };
  readonly account: {
    readonly name: string;
    readonly publicKey: string;
    readonly jwt: string;
    /** Public key of the account signing key that issues every user JWT. */
    readonly signingKey: string;
    /** Seed file of that signing key (0600); read only by `mintUserJwt`. */
    readonly signingSeedFile: string;
  };
  /** `.creds` files (0600): full access to CAIRN for the gateway and local CLI; `system` is SYS. */
  readonly creds: { readonly gateway: string; readonly cli: string; readonly system: string };
}

// Unset limits in an account JWT decode as 0, and 0 disables the feature (JetStream first of all),
// so every limit is spelled out. -1 = unlimited within what the server itself allows.
const NATS_UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
const APP_LIMITS: Account["limits"] = {
  ...NATS_UNLIMITED,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
  // 0 = no per-stream cap (the server's own default); streams set their own max_bytes.
  mem_max_stream_bytes: 0,
  disk_max_stream_bytes: 0,
  max_bytes_required: false,
};
// JetStream stays off in the system account: nats-server keeps that account for its own traffic.
const SYSTEM_LIMITS: Account["limits"] = { ...NATS_UNLIMITED };

/**
 * Creates (first call) or loads (later calls) the operator, the SYS and CAIRN accounts and the
 * gateway/cli/system creds under `natsDir`. Seeds and creds are 0600, folders 0700. Idempotent and
 * self-healing: a missing or stale JWT/creds file is re-issued from the stored seeds.
 */
export async function ensureNatsAuth(natsDir: string): Promise<NatsAuth> {
  const paths = natsPaths(natsDir);
  for (const d of [paths.natsDir, paths.keysDir, paths.jwtDir, paths.credsDir]) await ensurePrivateDir(d);

  const operatorKp = await loadOrCreateSeed(join(paths.keysDir, "operator.nk"), "O", createOperator);
  const sysKp = await loadOrCreateSeed(join(paths.keysDir, "system-account.nk"), "A", createAccount);
  const appKp = await loadOrCreateSeed(join(paths.keysDir, "cairn-account.nk"), "A", createAccount);
  const signingKp = await loadOrCreateSeed(join(paths.keysDir, "cairn-signing.nk"), "A", createAccount);
  const operatorPk = operatorKp.getPublicKey();
  const sysPk = sysKp.getPublicKey();
  const appPk = appKp.getPublicKey();
  const signingPk = signingKp.getPublicKey();

  const operatorJwtFile = join(paths.jwtDir, "operator.jwt");
  const operatorJwt = await loadOrIssueJwt(
    operatorJwtFile,
    (c) => c.sub === operatorPk && c.iss === operatorPk && c.nats.system_account === sysPk,
    () => encodeOperator(OPERATOR_NAME, operatorKp, { system_account: sysPk }),
  );
  const sysJwt = await loadOrIssueJwt(
    join(paths.jwtDir, "system-account.jwt"),
    (c) => c.sub === sysPk && c.iss === operatorPk,
    () => encodeAccount(SYSTEM_ACCOUNT_NAME, sysKp, { limits: SYSTEM_LIMITS }, { signer: operatorKp }),
    join(paths.resolverDir, `${sysPk}.jwt`),
  );
  const appJwt = await loadOrIssueJwt(
    join(paths.jwtDir, "cairn-account.jwt"),
    (c) =>
      c.sub === appPk &&
      c.iss === operatorPk &&
      (c.nats.signing_keys ?? []).some((k) => (typeof k === "string" ? k : k.key) === signingPk) &&
      !!c.nats.limits?.disk_storage, // JetStream on (0 or missing = off)
    () => encodeAccount(APP_ACCOUNT_NAME, appKp, { limits: APP_LIMITS, signing_keys: [signingPk] }, { signer: operatorKp }),
    join(paths.resolverDir, `${appPk}.jwt`),
  );

  const creds = {
    gateway: join(paths.credsDir, "gateway.creds"),
    cli: join(paths.credsDir, "cli.creds"),
    system: join(paths.credsDir, "system.creds"),
  };
  // Creds revoked through the account claims are re-issued rather than handed out dead.
  const revokedIn = (accountJwt: string) => {
    const revocations = verifiedClaims<Account>(accountJwt).nats.revocations ?? {};
    return (userPk: string, iat: number) => (revocations[userPk] ?? -1) >= iat;
  };
  await loadOrMintCreds(creds.gateway, "gateway", appPk, signingKp, revokedIn(appJwt));
  const cli = await loadOrMintCreds(creds.cli, "cli", appPk, signingKp, revokedIn(appJwt), {
    permissions: cliPermissions,
    limits: CLI_LIMITS,
  });
  // SYS has no signing key: its one user is issued by the account key itself.
  await loadOrMintCreds(creds.system, "system", sysPk, sysKp, revokedIn(sysJwt));
  // The CLI's creds of an older install had full access, and copies of them may be anywhere: the
  // new ones have a new key, the old key is revoked. The re-signed account JWT is newer than the
  // resolver's copy, so the server takes it at its next start (resolver_preload keeps the newest).
  let accountJwt = appJwt;
  if (cli.replaced) accountJwt = await revokeInAccountJwt(paths, appJwt, appKp, operatorKp, cli.replaced);

  return {
    paths,
    operator: { publicKey: operatorPk, jwt: operatorJwt, jwtFile: operatorJwtFile, seedFile: join(paths.keysDir, "operator.nk") },
    systemAccount: { name: SYSTEM_ACCOUNT_NAME, publicKey: sysPk, jwt: sysJwt },
    account: {
      name: APP_ACCOUNT_NAME,
      publicKey: appPk,
      jwt: accountJwt,
      signingKey: signingPk,
      signingSeedFile: join(paths.keysDir, "cairn-signing.nk"),
    },
    creds,
  };
}

/** Loads an nkey seed file, checking its kind (`O`perator, `A`ccount, `U`ser). */
export async function readSeedFile(file: string, prefix: "O" | "A" | "U"): Promise<KeyPair | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  let kp: KeyPair;
  try {
    kp = fastKeyPair(new TextEncoder().encode(text.trim()));
  } catch (e) {
    throw new CairnError("internal", `${file} is not an nkey seed: ${(e as Error).message}`);
  }
  if (!kp.getPublicKey().startsWith(prefix)) {
    throw new CairnError("internal", `${file} holds a ${kp.getPublicKey()[0]} key, expected ${prefix}`);
  }
  return kp;
}

async function loadOrCreateSeed(file: string, prefix: "O" | "A", create: () => KeyPair): Promise<KeyPair> {
  const existing = await readSeedFile(file, prefix);
  if (existing) return existing;
  const kp = fastKeyPair(create().getSeed());
  if (await createFileExclusive(file, `${new TextDecoder().decode(kp.getSeed())}\n`)) return kp;
  // Another process created it between our read and our write: theirs is the identity.
  const theirs = await readSeedFile(file, prefix);
  if (!theirs) throw new CairnError("internal", `${file} was created by another process but is gone again`);
  return theirs;
}

export type Claims = ClaimsData<Account & { system_account?: string }>;

/** The valid JWT with the latest `iat` among `files` (missing, unreadable or forged ones skipped). */
export async function newestValidJwt(files: readonly string[], valid: (c: Claims) => boolean): Promise<string | undefined> {
  let best: { jwt: string; iat: number } | undefined;
  for (const f of files) {
    const jwt = (await readTextIfExists(f))?.trim();
    if (!jwt) continue;
    try {
      const c = verifiedClaims(jwt) as Claims;
      if (valid(c) && (!best || c.iat > best.iat)) best = { jwt, iat: c.iat };
    } catch {
      // bad signature or not a JWT: ignore this copy
    }
  }
  return best?.jwt;
}

/**
 * The newest valid JWT among the stored file and the server's resolver copy, else a fresh one.
 * The resolver copy matters: claim updates pushed to the running server (revocations) land there,
 * and re-issuing from scratch would silently drop them on the next start.
 */
async function loadOrIssueJwt(
  file: string,
  valid: (c: Claims) => boolean,
  issue: () => Promise<string>,
  resolverCopy?: string,
): Promise<string> {
  const best = await newestValidJwt(resolverCopy ? [file, resolverCopy] : [file], valid);
  const stored = (await readTextIfExists(file))?.trim();
  const jwt = best ?? (await issue());
  if (jwt !== stored) await writeFileAtomic(file, `${jwt}\n`, 0o600);
  return jwt;
}

/**
 * Adds a revocation of `userPk` (every JWT of it issued up to now) to the CAIRN account JWT, signed
 * by the operator, and stores it where `ensureNatsAuth` and the server config read it.
 */
async function revokeInAccountJwt(
  paths: NatsPaths,
  accountJwt: string,
  appKp: KeyPair,
  operatorKp: KeyPair,
  userPk: string,
): Promise<string> {
  const nats = verifiedClaims<Account>(accountJwt).nats;
  const revocations = { ...(nats.revocations ?? {}), [userPk]: Math.floor(Date.now() / 1000) };
  const jwt = await encodeAccount(APP_ACCOUNT_NAME, appKp, { ...nats, revocations }, { signer: operatorKp });
  await writeFileAtomic(join(paths.jwtDir, "cairn-account.jwt"), `${jwt}\n`, 0o600);
  // Also the resolver's own copy, so the revocation holds even if the preload and that copy were
  // issued in the same second (the server keeps the one it has on a tie). It started from the
  // newest of both, so nothing pushed there earlier is lost.
  await ensurePrivateDir(paths.resolverDir);
  await writeFileAtomic(join(paths.resolverDir, `${appKp.getPublicKey()}.jwt`), jwt, 0o600);
  return jwt;
}
