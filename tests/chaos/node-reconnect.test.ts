/**
 * A paired node (a real `cairn node add --foreground` process with its own home) rides out the
 * gateway's crashes by itself: after a kill -9 of the gateway and a restart on the same data dir,
 * and after a kill -9 of only the embedded nats-server, it reconnects (its own backoff) and is
 * online again without pairing again. A revoked node stays out, across a gateway restart too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findStablePort } from "../../bus/server/index.ts";
import type { NodeSummary } from "../../schemas/index.ts";
import { jsonLines, startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";
import { isAlive, natsServersFor, readNatsPid, trackPid, waitUntil, cleanupAll } from "./chaos.helpers.ts";

const started: Array<{ dispose(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.reverse()) await s.dispose().catch(() => undefined);
  started.length = 0;
  await cleanupAll();
}, 60_000);

const nodes = async (gw: GatewayProc): Promise<NodeSummary[]> => {
  const r = await gw.cli(["node", "list", "--json"], { timeoutMs: 15_000 });
  if (r.code !== 0) return [];
  return jsonLines<NodeSummary>(r.stdout);
};
const nodeOf = async (gw: GatewayProc, id: string) => (await nodes(gw)).find((n) => n.nodeId === id);
const connectedLines = (node: NodeProc) =>
  node
    .stdout()
    .split("\n")
    .filter((l) => / connected /.test(l)).length;

/** A gateway and one node paired through the CLI, connected. */
async function pairedNode(nodeId: string): Promise<{ gw: GatewayProc; node: NodeProc }> {
  // A fixed port, as in production: a listener on port 0 gets no SO_REUSEADDR from uSockets, and
  // then the node's keep-alive connection in TIME_WAIT would block the restart's bind for 60 s.
  // Below the ephemeral range: a port from it could be given to another process's connection
  // while the gateway is down (seen in CI: the restart could not listen).
  const gw = await startGatewayProc({ model: null, extraEnv: { CAIRN_PORT: String(await findStablePort()) } });
  started.push(gw);
  expect((await gw.cli(["node", "pairing", "enable"])).code).toBe(0);
  const node = await startNodeProc({ host: gw.url, name: `Node ${nodeId}`, nodeId });
  started.push(node);
  await node.waitForLine(/waiting for approval on the gateway/);
  const pending = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout);
  const req = pending.find((n) => n.nodeId === nodeId)!;
  expect((await gw.cli(["node", "approve", req.requestId!])).code).toBe(0);
  await node.waitForLine(/ connected /);
  await waitUntil("the node to be online", async () => (await nodeOf(gw, nodeId))?.online, 15_000, 250);
  return { gw, node };
}

describe("chaos: a paired node across gateway and nats-server crashes", () => {
  it("reconnects by itself after kill -9 of the gateway and after kill -9 of nats-server, without pairing again", async () => {
    const { gw, node } = await pairedNode("roamer");
    const natsUrlBefore = (JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string }).natsUrl;

    // 1. kill -9 of the gateway; its orphaned nats-server is stopped by the next start.
    const orphan = readNatsPid(gw.dataDir)!;
    trackPid(orphan);
    await gw.kill("SIGKILL");
    const before = connectedLines(node);
    await gw.restart();
    // The restarted gateway serves the bus where the node was told to dial (the same address).
    const natsUrlAfter = (JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string }).natsUrl;
    expect(natsUrlAfter).toBe(natsUrlBefore);
    expect(isAlive(orphan)).toBe(false);
    // Presence lives in memory, so "online" after a restart means the node said hello again.
    const back = await waitUntil(
      "the node to be online after the gateway restart",
      async () => {
        const n = await nodeOf(gw, "roamer");
        return n?.online ? n : undefined;
      },
      45_000,
      500,
    );
    expect(back.status).toBe("approved");
    expect(connectedLines(node)).toBeGreaterThan(before);
    expect(node.stdout()).toMatch(/disconnected/);
    // One pairing request in the node's whole life: it did not pair again.
    expect(node.stdout().match(/pairing request \S+ sent/g)).toHaveLength(1);

    // 2. kill -9 of only the nats-server: the supervisor restarts it, the node comes back.
    const oldNats = readNatsPid(gw.dataDir)!;
    const connectedBefore = connectedLines(node);
    process.kill(oldNats, "SIGKILL");
    const newNats = await waitUntil(
      "the supervisor to restart nats-server",
      () => {
        const pid = readNatsPid(gw.dataDir);
        return pid !== undefined && pid !== oldNats && isAlive(pid) ? pid : undefined;
      },
      15_000,
    );
    expect(natsServersFor(gw.dataDir)).toEqual([newNats]);
    await waitUntil("the node to reconnect to the restarted nats-server", () => connectedLines(node) > connectedBefore, 45_000, 100);
    const restartedAt = Date.now();
    // Presence survives in the gateway's memory, so require traffic from after the reconnect.
    const fresh = await waitUntil(
      "the node to report after the nats-server restart",
      async () => {
        const n = await nodeOf(gw, "roamer");
        return n?.online && (n.lastSeenAt ?? 0) > restartedAt ? n : undefined;
      },
      20_000,
      500,
    );
    expect(fresh.status).toBe("approved");
    expect(node.stdout().match(/pairing request \S+ sent/g)).toHaveLength(1);
    expect(node.child.exitCode).toBeNull();
  }, 150_000);

  it("a revoked node stays disconnected (its log says the credentials were refused), also across a gateway restart", async () => {
    const { gw, node } = await pairedNode("outcast");
    expect((await gw.cli(["node", "revoke", "outcast"])).code).toBe(0);
    await node.waitForLine(/disconnected/);
    // The revocation reached the node as an authorization failure, not a network blip.
    const nodeLog = () => readFileSync(join(node.dataDir, "logs", "node.log"), "utf8");
    await waitUntil("the node's log to record the refusal", () => /authori[sz]ation|revoked|refused/i.test(nodeLog()), 15_000, 200);
    let n = await nodeOf(gw, "outcast");
    expect(n).toMatchObject({ status: "revoked", online: false });

    await gw.kill("SIGKILL");
    await gw.restart();
    n = await nodeOf(gw, "outcast");
    expect(n).toMatchObject({ status: "revoked", online: false });
    // The same machine started again after the restart (its key and credentials kept) dials at
    // once and is refused: revocation is durable, not a property of the old connection.
    await node.stop({ keepHome: true });
    const again = await startNodeProc({ host: gw.url, name: "Node outcast", nodeId: "outcast", home: node.home });
    started.push(again);
    await again.waitForLine(/refused this node's credentials/);
    expect(again.stdout()).not.toMatch(/ connected /);
    expect(await nodeOf(gw, "outcast")).toMatchObject({ status: "revoked", online: false });
    expect(again.child.exitCode).toBeNull();
  }, 120_000);
});
