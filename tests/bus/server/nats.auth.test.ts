import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, decode, parseCreds, type Account } from "@nats-io/jwt";
import { ensureNatsAuth, formatCreds, mintUserJwt, renderServerConfig, userClaims } from "../../../bus/server/index.ts";
import { isCairnError } from "../../../schemas/index.ts";

const dirs: string[] = [];
const tempNatsDir = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-auth-"));
  dirs.push(d);
  return join(d, "nats");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe("ensureNatsAuth", () => {
  it("writes seeds and creds 0600 in 0700 folders", async () => {
    const natsDir = tempNatsDir();
    const auth = await ensureNatsAuth(natsDir);
    for (const f of [auth.creds.gateway, auth.creds.cli, auth.creds.system, auth.account.signingSeedFile]) {
      expect(mode(f), f).toBe(0o600);
    }
    for (const f of readdirSync(auth.paths.keysDir)) expect(mode(join(auth.paths.keysDir, f)), f).toBe(0o600);
    for (const d of [natsDir, auth.paths.keysDir, auth.paths.credsDir, auth.paths.jwtDir]) expect(mode(d), d).toBe(0o700);
    expect(readFileSync(auth.creds.gateway, "utf8")).toMatch(/^-----BEGIN NATS USER JWT-----\n/);
  });

  it("issues a user chain operator → CAIRN (signing key) → gateway, with JetStream limits set", async () => {
    const auth = await ensureNatsAuth(tempNatsDir());
    const op = decode<{ system_account: string }>(auth.operator.jwt);
    expect(op.sub).toBe(auth.operator.publicKey);
    expect(op.nats.system_account).toBe(auth.systemAccount.publicKey);

    const acc = decode<Account>(auth.account.jwt);
    expect(acc.iss).toBe(auth.operator.publicKey);
    expect(acc.nats.signing_keys).toEqual([auth.account.signingKey]);
    // Unset means zero means JetStream disabled: every limit must be explicit.
    expect(acc.nats.limits).toMatchObject({ mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1, conn: -1 });

    const { uc, aid } = await parseCreds(readFileSync(auth.creds.gateway));
    expect(uc.name).toBe("gateway");
    expect(aid).toBe(auth.account.publicKey);
    expect(uc.iss).toBe(auth.account.signingKey);
    const sys = await parseCreds(readFileSync(auth.creds.system));
    expect(sys.aid).toBe(auth.systemAccount.publicKey);
  });

  it("is idempotent: a second call keeps keys, JWTs and creds byte for byte", async () => {
    const natsDir = tempNatsDir();
    const a = await ensureNatsAuth(natsDir);
    const before = readFileSync(a.creds.gateway, "utf8");
    const b = await ensureNatsAuth(natsDir);
    expect(b.operator).toEqual(a.operator);
    expect(b.account).toEqual(a.account);
    expect(b.systemAccount).toEqual(a.systemAccount);
    expect(readFileSync(b.creds.gateway, "utf8")).toBe(before);
  });

  it("re-issues a deleted creds file under the same account", async () => {
    const natsDir = tempNatsDir();
    const a = await ensureNatsAuth(natsDir);
    rmSync(a.creds.cli);
    const b = await ensureNatsAuth(natsDir);
    const { aid } = await parseCreds(readFileSync(b.creds.cli));
    expect(aid).toBe(a.account.publicKey);
    expect(mode(b.creds.cli)).toBe(0o600);
  });

  it("concurrent first calls agree on one identity", async () => {
    const natsDir = tempNatsDir();
    const [a, b] = await Promise.all([ensureNatsAuth(natsDir), ensureNatsAuth(natsDir)]);
    expect(a.operator.publicKey).toBe(b.operator.publicKey);
    expect(a.account.publicKey).toBe(b.account.publicKey);
    const c = await ensureNatsAuth(natsDir);
    expect(c.operator.publicKey).toBe(a.operator.publicKey);
    expect(decode(c.account.jwt).iss).toBe(a.operator.publicKey);
  });
});

describe("mintUserJwt", () => {
  it("mints a JWT for a foreign public key, scoped to the given subjects", async () => {
    const auth = await ensureNatsAuth(tempNatsDir());
    const node = createUser();
    const jwt = await mintUserJwt(auth, {
      name: "node-n1",
      publicKey: node.getPublicKey(),
      permissions: { pub: { allow: ["node.n1.>"] }, sub: { allow: ["node.n1.>", "_INBOX.>"] }, allowResponses: true },
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const c = decode<Record<string, unknown>>(jwt);
    expect(c.sub).toBe(node.getPublicKey());
    expect(c.iss).toBe(auth.account.signingKey);
    expect(c.nats.issuer_account).toBe(auth.account.publicKey);
    expect(c.nats.pub).toEqual({ allow: ["node.n1.>"], deny: [] });
    expect(c.exp).toBeGreaterThan(Date.now() / 1000);
    const creds = formatCreds(jwt, node.getSeed());
    const parsed = await parseCreds(new TextEncoder().encode(creds));
    expect(parsed.key).toBe(new TextDecoder().decode(node.getSeed()));
  });

  it("treats an empty allow list as nothing allowed, and rejects bad input", async () => {
    expect(userClaims({ pub: { allow: [] } }).pub).toEqual({ allow: [], deny: [">"] });
    const auth = await ensureNatsAuth(tempNatsDir());
    await expect(mintUserJwt(auth, { name: "x", publicKey: auth.account.publicKey })).rejects.toSatisfy(
      (e) => isCairnError(e) && e.code === "bad_request",
    );
    await expect(
      mintUserJwt(auth, { name: "x", publicKey: createUser().getPublicKey(), permissions: { pub: { allow: ["a b"] } } }),
    ).rejects.toSatisfy((e) => isCairnError(e) && e.code === "bad_request");
  });
});

describe("renderServerConfig", () => {
  it("quotes paths and preloads both accounts", async () => {
    const auth = await ensureNatsAuth(tempNatsDir());
    const text = renderServerConfig({ auth, host: "127.0.0.1", port: 4333 });
    expect(text).toContain(`listen: "127.0.0.1:4333"`);
    expect(text).toContain(`system_account: ${auth.systemAccount.publicKey}`);
    expect(text).toContain(`${auth.account.publicKey}: "${auth.account.jwt}"`);
    expect(text).toContain("type: full");
    expect(renderServerConfig({ auth, host: "::1", port: 1 })).toContain(`listen: "[::1]:1"`);
  });
});
