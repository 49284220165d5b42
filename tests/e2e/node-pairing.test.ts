/**
 * Pairing against a real gateway process: the HTTP endpoints with the window closed and open,
 * approval, the status poll's JWT, what that JWT lets a node do on the real nats-server (its own
 * subjects only), revocation dropping the connection, and trust on first use (a second key for a
 * known node id is refused and shows up as an alert).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import { pairingRequestText, pairingStatusText, type NodeSummary } from "../../schemas/index.ts";
import { jsonLines, startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

let gw: GatewayProc;
let admin: NatsConnection;
/** As the gateway itself (node traffic is not the CLI's to see or send). */
let asGateway: NatsConnection;

beforeAll(async () => {
  gw = await startGatewayProc({ model: null });
  const info = JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string; cliCreds: string };
  admin = await connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "test-admin" });
  asGateway = await connectNats({ url: info.natsUrl, credsFile: join(gw.dataDir, "nats", "creds", "gateway.creds"), name: "test-gateway" });
}, 60_000);
afterAll(async () => {
  await admin?.close();
  await asGateway?.close();
  await gw?.dispose();
});

const sign = (kp: KeyPair, text: string) => Buffer.from(kp.sign(new TextEncoder().encode(text))).toString("base64url");
let n = 0;
const pairBody = (kp: KeyPair, nodeId: string) => {
  const r = {
    nodeId,
    name: `Node ${nodeId}`,
    publicKey: kp.getPublicKey(),
    hostname: "box",
    platform: "linux",
    workingDir: "/tmp",
    timestamp: Date.now(),
    nonce: `test-nonce-${Date.now()}-${++n}`,
  };
  return { ...r, signature: sign(kp, pairingRequestText(r)) };
};
const statusBody = (kp: KeyPair, requestId: string) => {
  const r = { requestId, publicKey: kp.getPublicKey(), timestamp: Date.now() };
  return { ...r, signature: sign(kp, pairingStatusText(r)) };
};
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
};
const events = async () => {
  const r = await gw.cli(["events", "tail", "--json"]);
  expect(r.code).toBe(0);
  return r.stdout;
};
const list = async () => ((await request(admin, subjects.query("nodes", "list"), {})) as { nodes: NodeSummary[] }).nodes;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's connection as `cairn node` makes it: its JWT, its own seed, its private inbox. */
const connectAsNode = (jwt: string, kp: KeyPair, nodeId: string, port: number) =>
  connect({
    servers: `127.0.0.1:${port}`,
    authenticator: jwtAuthenticator(jwt, kp.getSeed()),
    inboxPrefix: `_INBOX_${nodeId}`,
    reconnect: false,
  });

describe("pairing over HTTP", () => {
  const kp = createUser();
  let requestId: string;
  let jwt: string;
  let natsPort: number;

  test("window closed: 403 pairing_closed, and nothing is recorded", async () => {
    const r = await post("/api/nodes/pair", pairBody(kp, "alpha"));
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ ok: false, error: { code: "pairing_closed" } });
    expect(await events()).not.toContain("alpha");
    expect(await list()).toEqual([]);
  });

  test("bad bodies: not JSON, or not a pairing request, are 400", async () => {
    const res = await fetch(`${gw.url}/api/nodes/pair`, { method: "POST", body: "{nope" });
    expect(res.status).toBe(400);
    expect((await post("/api/nodes/pair", { nodeId: "x" })).status).toBe(400);
  });

  test("window open: pending with the fingerprint; approve; the status poll returns a JWT and the NATS port", async () => {
    const opened = await gw.cli(["node", "pairing", "enable", "--minutes", "5", "--json"]);
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout)).toMatchObject({ open: true, until: expect.any(Number) });
    const r = await post("/api/nodes/pair", pairBody(kp, "alpha"));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, status: "pending", fingerprint: expect.stringMatching(/^SHA256:/) });
    requestId = r.json.requestId;
    const before = await post("/api/nodes/pair/status", { ...statusBody(kp, requestId) });
    expect(before.json).toMatchObject({ ok: true, status: "pending", nodeId: "alpha" });
    expect(before.json.jwt).toBeUndefined();
    const pending = (await request(admin, subjects.query("nodes", "list"), { status: "pending" })) as { nodes: NodeSummary[] };
    expect(pending.nodes.map((x) => [x.nodeId, x.requestId, x.fingerprint])).toEqual([["alpha", requestId, r.json.fingerprint]]);

    const pendingCli = await gw.cli(["node", "pending"]);
    expect(pendingCli.stdout).toContain(requestId);
    const wrong = await gw.cli(["node", "approve", "no-such-request"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("no pending request 'no-such-request'; see cairn node pending");
    const approved = await gw.cli(["node", "approve", requestId]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("approved");
    const after = await post("/api/nodes/pair/status", statusBody(kp, requestId));
    expect(after.json).toMatchObject({
      ok: true,
      status: "approved",
      nodeId: "alpha",
      jwt: expect.any(String),
      natsPort: expect.any(Number),
    });
    jwt = after.json.jwt;
    natsPort = after.json.natsPort;
    // A status poll signed by another key learns nothing.
    expect((await post("/api/nodes/pair/status", statusBody(createUser(), requestId))).status).toBe(404);
  });

  test("the node's JWT works for its own subjects only", async () => {
    const nc = await connectAsNode(jwt, kp, "alpha", natsPort);
    try {
      // The gateway hears the node's own out.hello.
      const heard = new Promise<string>((resolve) => {
        const sub = asGateway.subscribe(subjects.nodeOut("alpha", "hello"), {
          callback: (_e, m) => {
            sub.unsubscribe();
            resolve(m.string());
          },
        });
      });
      await asGateway.flush();
      nc.publish(subjects.nodeOut("alpha", "hello"), "hi");
      expect(await heard).toBe("hi");
      // And the node answers gateway requests on its in.* (a reply without publish rights on _INBOX).
      nc.subscribe(subjects.nodeIn("alpha", "ping"), { callback: (_e, m) => void m.respond("pong") });
      await nc.flush();
      expect((await asGateway.request(subjects.nodeIn("alpha", "ping"), "", { timeout: 3000 })).string()).toBe("pong");

      // Refused: the event log, the JetStream API, another node's subjects (each a permissions error).
      const errors: string[] = [];
      void (async () => {
        for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: unknown }).error));
      })();
      for (const subject of ["evt.session.x", "node.other.out.hello", "node.other.in.exec"]) nc.publish(subject, "x");
      await nc.flush();
      await expect(nc.request("$JS.API.INFO", "", { timeout: 2000 })).rejects.toThrow();
      const sub = nc.subscribe("node.other.in.exec");
      await nc.flush().catch(() => undefined);
      await sleep(300);
      sub.unsubscribe();
      const text = errors.join("\n");
      for (const s of ["evt.session.x", "node.other.out.hello", "node.other.in.exec", "$JS.API.INFO"]) expect(text).toContain(s);
    } finally {
      await nc.close().catch(() => undefined);
    }
  });

  test("revoke drops the node's connection at once; it cannot come back; the status poll says revoked", async () => {
    const nc = await connectAsNode(jwt, kp, "alpha", natsPort);
    const closed = nc.closed();
    const revoked = (await request(admin, subjects.admin("nodes", "revoke"), { nodeId: "alpha", by: "cli" })) as { status: string };
    expect(revoked.status).toBe("revoked");
    // The reply comes after the server confirmed the revocation; the drop follows straight away.
    const outcome = await Promise.race([closed.then(() => "closed"), sleep(1000).then(() => "still connected")]);
    expect(outcome).toBe("closed");
    await expect(connectAsNode(jwt, kp, "alpha", natsPort)).rejects.toThrow();
    expect((await post("/api/nodes/pair/status", statusBody(kp, requestId))).json).toMatchObject({ status: "revoked" });
    const unknown = (await request(admin, subjects.admin("nodes", "revoke"), { nodeId: "ghost", by: "cli" }).catch((e) => e)) as {
      code: string;
    };
    expect(unknown.code).toBe("node_not_found");
  });
});

describe("trust on first use", () => {
  test("a second key for a known node id: 409 node_key_mismatch and an alert on the node", async () => {
    const first = createUser();
    const r = await post("/api/nodes/pair", pairBody(first, "beta"));
    expect(r.status).toBe(200);
    const intruder = createUser();
    const refused = await post("/api/nodes/pair", pairBody(intruder, "beta"));
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("node_key_mismatch");
    const listed = await gw.cli(["node", "list", "--json"]);
    expect(listed.code).toBe(0);
    const beta = jsonLines<NodeSummary>(listed.stdout).find((x) => x.nodeId === "beta")!;
    expect(beta.status).toBe("pending");
    expect(beta.alerts).toHaveLength(1);
    expect(beta.alerts[0].message).toContain("another key");
    // A replay of the recorded request is refused too.
    const body = pairBody(createUser(), "gamma");
    expect((await post("/api/nodes/pair", body)).status).toBe(200);
    expect((await post("/api/nodes/pair", body)).json.error.code).toBe("unauthorized");
  });
});
