/**
 * The node:crypto key pairs and JWT check give exactly what nkeys and @nats-io/jwt give: the same
 * public keys, signatures nkeys verifies, and the same verdicts on good, forged and broken JWTs.
 */
import { createAccount, createOperator, createUser, decode, encodeAccount, encodeUser, type Account } from "@nats-io/jwt";
import { fromPublic, fromSeed } from "@nats-io/nkeys";
import { expect, test } from "vitest";
import { fastKeyPair, verifiedClaims } from "../../../bus/server/nkey.fast.ts";

test("the same public keys as nkeys, and signatures nkeys verifies", () => {
  for (const kp of [createOperator(), createAccount(), createUser()]) {
    const fast = fastKeyPair(kp.getSeed());
    expect(fast.getPublicKey()).toBe(kp.getPublicKey());
    const data = new TextEncoder().encode("nonce-123");
    expect(fromPublic(kp.getPublicKey()).verify(data, fast.sign(data))).toBe(true);
    expect(fast.sign(data)).toEqual(fromSeed(kp.getSeed()).sign(data));
  }
  expect(() => fastKeyPair(new TextEncoder().encode("SANOTASEED"))).toThrow();
});

test("JWTs: the claims of a good one, and a refusal of a forged or broken one, as @nats-io/jwt does", async () => {
  const operator = fastKeyPair(createOperator().getSeed());
  const account = createAccount();
  const jwt = await encodeAccount("A", account, { limits: { conn: 5 } }, { signer: operator });
  expect(verifiedClaims<Account>(jwt)).toEqual(decode<Account>(jwt));
  const user = await encodeUser("u", createUser(), account);
  expect(verifiedClaims(user)).toEqual(decode(user));

  const [h, p, s] = jwt.split(".");
  const other = JSON.parse(Buffer.from(p, "base64url").toString());
  other.nats.limits.conn = 500;
  const forged = `${h}.${Buffer.from(JSON.stringify(other)).toString("base64url")}.${s}`;
  const wrongIssuer = `${h}.${Buffer.from(JSON.stringify({ ...other, iss: createOperator().getPublicKey() })).toString("base64url")}.${s}`;
  for (const bad of [forged, wrongIssuer, `${h}.${p}`, "a.b.c", `${h}.${p}.${s.slice(0, -4)}AAAA`]) {
    expect(() => decode(bad)).toThrow();
    expect(() => verifiedClaims(bad)).toThrow();
  }
});
