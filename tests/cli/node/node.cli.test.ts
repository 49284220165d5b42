/**
 * `cairn node add --foreground` as a real process, against a real nats-server and an HTTP server
 * on 127.0.0.1 that answers the two pairing calls the way the gateway's node service does
 * (signature checked with the shared helpers, a JWT minted for the node's key on approval).
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintUserJwt, nodeFingerprint, verifyText } from "../../../bus/server/index.ts";
import { subjects } from "../../../bus/subjects.ts";
import { ROOT } from "../../../cli/root.ts";
import { pairingRequestText, pairingStatusText } from "../../../schemas/nodes.ts";
import { startNodeProc, type NodeProc } from "../../fixtures/node.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

let nats: TestNats;
let http: Server;
let url: string;
let windowOpen = false;
const requests = new Map<string, { nodeId: string; publicKey: string; approved: boolean }>();
const procs: NodeProc[] = [];

const body = (req: import("node:http").IncomingMessage): Promise<Record<string, unknown>> =>
  new Promise((resolve) => {
    let s = "";
    req.on("data", (c) => (s += c)).on("end", () => resolve(JSON.parse(s)));
  });

beforeAll(async () => {
  nats = await startTestNats();
  http = createServer(async (req, res) => {
    const b = await body(req);
    const send = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
    if (req.url === "/api/nodes/pair") {
      if (!windowOpen) return send(403, { ok: false, error: { code: "pairing_closed", message: "pairing is closed" } });
      const { signature, ...unsigned } = b as Record<string, string>;
      if (!verifyText(unsigned.publicKey, pairingRequestText(unsigned as never), signature))
        return send(400, { ok: false, error: { code: "bad_request", message: "bad signature" } });
      const requestId = `r${requests.size + 1}`;
      requests.set(requestId, { nodeId: unsigned.nodeId, publicKey: unsigned.publicKey, approved: false });
      return send(200, { ok: true, requestId, status: "pending", fingerprint: nodeFingerprint(unsigned.publicKey) });
    }
    const { signature, ...unsigned } = b as Record<string, string>;
    const r = requests.get(unsigned.requestId);
    if (!r || !verifyText(r.publicKey, pairingStatusText(unsigned as never), signature))
      return send(400, { ok: false, error: { code: "bad_request", message: "no" } });
    if (!r.approved) return send(200, { ok: true, status: "pending", nodeId: r.nodeId });
    const jwt = await mintUserJwt(nats.server.auth, {
      name: `node-${r.nodeId}`,
      publicKey: r.publicKey,
      permissions: {
        pub: { allow: [`node.${r.nodeId}.out.>`] },
        sub: { allow: [`node.${r.nodeId}.in.>`, `_INBOX_${r.nodeId}.>`] },
        allowResponses: true,
      },
    });
    return send(200, { ok: true, status: "approved", nodeId: r.nodeId, jwt, natsPort: nats.port });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.dispose()));
  await new Promise((r) => http?.close(r));
  await nats?.stop();
});

const cairn = (home: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, [join(ROOT, "cli", "bin.mjs"), "node", ...args], {
    env: { PATH: process.env.PATH, HOME: home, CAIRN_DATA_DIR: join(home, ".cairn"), CAIRN_NODE_SERVICE: "none" },
  });

describe("cairn node add --foreground (process)", () => {
  it("a closed window is refused with what to do", async () => {
    windowOpen = false;
    const p = await startNodeProc({ host: url, name: "Closed" });
    procs.push(p);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain("cairn node pairing enable");
    expect(p.stderr()).toContain("[pairing_closed]");
  });

  it("pairs, waits for approval, connects; status, fingerprint, logs and remove", async () => {
    windowOpen = true;
    const gw = await nats.connect("gw");
    const p = await startNodeProc({ host: url, name: "Build Server", nodeId: "n-cli0000001" });
    procs.push(p);
    const fingerprint = await p.fingerprint();
    await p.waitForLine(/waiting for approval on the gateway/);
    const helloSeen = new Promise((resolve) =>
      gw.subscribe(subjects.nodeOut("n-cli0000001", "hello"), { max: 1, callback: (_e, m) => resolve(m.json()) }),
    );
    await gw.flush();
    const [requestId] = [...requests].find(([, r]) => r.nodeId === "n-cli0000001")!;
    requests.get(requestId)!.approved = true;
    await p.waitForLine(/approved: credentials/);
    expect(await helloSeen).toMatchObject({ nodeId: "n-cli0000001", name: "Build Server", workingDir: p.workingDir });
    await p.waitForLine(/ connected /);

    const status = JSON.parse((await cairn(p.home, "status", "--json")).stdout);
    expect(status).toMatchObject({
      paired: true,
      gatewayUrl: url,
      name: "Build Server",
      nodeId: "n-cli0000001",
      fingerprint,
      agent: { connected: true },
    });
    expect((await cairn(p.home, "fingerprint")).stdout.trim()).toBe(fingerprint);
    expect((await cairn(p.home, "logs")).stdout.trim()).toBe(join(p.dataDir, "logs", "node.log"));

    const removed = JSON.parse((await cairn(p.home, "remove", "--json")).stdout);
    expect(removed.keptKey).toBe(true);
    expect(removed.stoppedPid).toBe(p.child.pid);
    expect(await p.exited).toBe(0);
    const after = JSON.parse((await cairn(p.home, "status", "--json")).stdout);
    expect(after).toMatchObject({ paired: false, nodeId: null, fingerprint, agent: null });
  }, 60_000);
});
