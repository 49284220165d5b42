/**
 * What each transport must do alike beyond the protocol: the pairing POST's body cap and
 * per-address rate limit, and a shutdown that closes every WebSocket with 1001 and drops idle
 * keep-alive sockets (which would otherwise hold the port and the event loop).
 */
import { request as httpRequest, Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_PAIRING_BODY_BYTES, PAIRING_RATE } from "../../../bus/edge/http.nodes.ts";
import { edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

const post = (port: number, path: string, body: string | Buffer): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST", headers: { "Content-Type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may answer and close before the whole body is written.
    req.on("error", (e) => (String(e).includes("EPIPE") || String(e).includes("ECONNRESET") ? undefined : reject(e)));
    req.end(body);
  });

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(() => h.stop());

  test("pairing: a body over the cap and a body that is not JSON are bad_request; a burst is rate_limited", async () => {
    const big = await post(h.edge.port, "/api/nodes/pair", Buffer.alloc(MAX_PAIRING_BODY_BYTES + 1024, 0x20));
    expect(big.status).toBe(400);
    expect(big.body).toContain("larger than");
    const notJson = await post(h.edge.port, "/api/nodes/pair/status", "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body).toContain("not valid JSON");
    const statuses: number[] = [];
    for (let i = 0; i < PAIRING_RATE.burst + 3; i++) statuses.push((await post(h.edge.port, "/api/nodes/pair", "{nope")).status);
    expect(statuses).toContain(429);
  });

  test("close() ends every WebSocket with 1001 and does not wait for idle keep-alive sockets", async () => {
    const edge = await h.otherEdge();
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: edge.port, path: "/health", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    const { connectWs } = await import("../../fixtures/ws-client.ts");
    const c = await connectWs(`${edge.url}/ws`);
    const t0 = Date.now();
    await edge.close();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect((await c.closed).code).toBe(1001);
    agent.destroy();
  });
});
