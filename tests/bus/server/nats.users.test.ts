import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createUser, decode, parseCreds, type Account } from "@nats-io/jwt";
import { connect, jwtAuthenticator, type NatsConnection, type Status } from "@nats-io/transport-node";
import { connectNats, currentAppAccountJwt, mintUserJwt, revokeUser } from "../../../bus/server/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { sleep } from "./helpers.ts";

const statuses = (nc: NatsConnection): Status[] => {
  const seen: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) seen.push(s);
  })();
  return seen;
};

describe("node users on the embedded server", () => {
  let nats: TestNats;
  let system: NatsConnection;
  beforeAll(async () => {
    nats = await startTestNats();
    system = await connectNats({ url: nats.url, credsFile: nats.server.creds.system, name: "cairn-system" });
  });
  afterAll(async () => {
    await system?.close();
    await nats?.stop();
  });

  const mintNode = async (id: string) => {
    const key = createUser();
    const jwt = await mintUserJwt(nats.server.auth, {
      name: `node-${id}`,
      publicKey: key.getPublicKey(),
      permissions: { pub: { allow: [`node.${id}.>`] }, sub: { allow: [`node.${id}.>`] } },
    });
    return { key, jwt };
  };

  it("a minted user connects and is held to its subjects", async () => {
    const { key, jwt } = await mintNode("n1");
    const nc = await connect({ servers: nats.url, authenticator: jwtAuthenticator(jwt, key.getSeed()), reconnect: false });
    const seen = statuses(nc);
    const gw = await nats.connect();
    const got: string[] = [];
    gw.subscribe("node.>", { callback: (_e, m) => void got.push(m.subject) });
    await gw.flush();
    nc.publish("node.n1.hello", "ok");
    nc.publish("node.n2.hello", "not mine");
    await nc.flush();
    await sleep(200);
    expect(got).toEqual(["node.n1.hello"]);
    expect(seen.some((s) => s.type === "error" && /Permissions Violation for Publish to "node.n2.hello"/.test(String(s.error)))).toBe(true);
    await nc.close();
  });

  it("revocation disconnects the user now and still holds after a restart", async () => {
    const { key, jwt } = await mintNode("n3");
    const nc = await connect({ servers: nats.url, authenticator: jwtAuthenticator(jwt, key.getSeed()), reconnect: false });
    const seen = statuses(nc);
    await revokeUser(nats.server.auth, system, key.getPublicKey());
    await nc.closed();
    expect(seen.some((s) => s.type === "error" && /Revoked/.test(String(s.error)))).toBe(true);

    const revocations = decode<Account>(await currentAppAccountJwt(nats.server.auth)).nats.revocations;
    expect(Object.keys(revocations ?? {})).toContain(key.getPublicKey());

    await system.close();
    await nats.restart();
    system = await connectNats({ url: nats.url, credsFile: nats.server.creds.system, name: "cairn-system" });
    // The account JWT handed back after the restart carries the revocation (not re-issued blank).
    expect(decode<Account>(nats.server.auth.account.jwt).nats.revocations).toHaveProperty(key.getPublicKey());
    await expect(connect({ servers: nats.url, authenticator: jwtAuthenticator(jwt, key.getSeed()), reconnect: false })).rejects.toThrow(
      /Authorization/i,
    );
    // Other users of the account are unaffected.
    const gw = await nats.connect();
    await gw.flush();
  });

  it("re-issues local creds that were revoked, on the next start", async () => {
    const { uc } = await parseCreds(readFileSync(nats.creds.cli));
    await revokeUser(nats.server.auth, system, uc.sub);
    await expect(connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli" })).rejects.toThrow(/rejected/);
    await system.close();
    await nats.restart();
    system = await connectNats({ url: nats.url, credsFile: nats.server.creds.system, name: "cairn-system" });
    const fresh = await parseCreds(readFileSync(nats.creds.cli));
    expect(fresh.uc.sub).not.toBe(uc.sub);
    const cli = await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli" });
    await cli.close();
  });
});
