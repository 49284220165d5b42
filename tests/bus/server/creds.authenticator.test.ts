import { describe, expect, it } from "vitest";
import { createAccount, createUser, encodeUser, fmtCreds } from "@nats-io/jwt";
import { credsAuthenticator as natsCredsAuthenticator } from "@nats-io/transport-node";
import { credsAuthenticator } from "../../../bus/server/creds.authenticator.ts";

describe("creds authenticator (node:crypto Ed25519)", () => {
  it("answers a nonce exactly as nats.js's credsAuthenticator does", async () => {
    const account = createAccount();
    const user = createUser();
    const jwt = await encodeUser("u", user, account.getPublicKey(), {}, { signer: account });
    const creds = fmtCreds(jwt, user);
    for (const nonce of ["abc", "5Xa-nonce_from-server", undefined]) {
      expect(credsAuthenticator(creds)(nonce)).toEqual(natsCredsAuthenticator(creds)(nonce));
    }
    expect(credsAuthenticator(() => creds)("n")).toEqual(natsCredsAuthenticator(creds)("n"));
  });

  it("rejects creds without a JWT and a seed", () => {
    expect(() => credsAuthenticator(new TextEncoder().encode("nothing here"))("n")).toThrow(/unable to parse credentials/);
  });
});
