/**
 * Bounded input on a real edge: live subscriptions per WebSocket are capped (10,000 subscribe
 * requests from one client: all but the cap refused, nats-server's memory flat, /health still
 * answering), and deeply nested JSON is a typed `bad_request` on every route that parses JSON,
 * with the process and the connection still up.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_LIVE_SUBSCRIPTIONS } from "../../../bus/edge/ws.subscriptions.ts";
import { MAX_PAIRING_BODY_BYTES } from "../../../bus/edge/http.nodes.ts";
import type { Frame } from "../../fixtures/ws-client.ts";
import { edgeTransports, rawGet, startHarness, type Harness } from "./edge.harness.ts";

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

const post = async (url: string, body: string) => {
  const r = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  return { status: r.status, body: (await r.json()) as { ok: boolean; error?: { code: string; message: string } } };
};

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  let stopStatus: () => void;
  beforeAll(async () => {
    // The per-connection request rate limit would refuse most of a flood first; lift it so the
    // subscription cap itself is what is tested.
    h = await startHarness({ transport, rateLimit: { ratePerSec: 1e9, burst: 1e9 } });
    stopStatus = h.serveStatus();
  });
  afterAll(async () => {
    stopStatus();
    await h.stop();
  });

  test("10,000 subscribe requests from one client: the cap holds, nats-server stays flat, /health answers", async () => {
    const c = await h.connected();
    const natsBefore = rssKb(h.nats.server.pid);
    const replies: Frame[] = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => c.request("chat.subscribe", { sessionKey: `flood-${i}` })),
    );
    const ok = replies.filter((r) => r.ok);
    const refused = replies.filter((r) => !r.ok);
    expect(ok).toHaveLength(MAX_LIVE_SUBSCRIPTIONS);
    expect(refused).toHaveLength(10_000 - MAX_LIVE_SUBSCRIPTIONS);
    expect(new Set(refused.map((r) => r.error.code))).toEqual(new Set(["too_many_subscriptions"]));
    expect(h.edge.stats().subscriptions).toBe(MAX_LIVE_SUBSCRIPTIONS);
    expect(h.edge.stats().liveFeeds).toBeLessThanOrEqual(MAX_LIVE_SUBSCRIPTIONS);

    const health = await rawGet(h.edge.port, "/health");
    expect(health.status).toBe(200);
    // Before the cap: 10,000 NATS subscriptions took nats-server to 558 MB. Now at most the cap's.
    expect(rssKb(h.nats.server.pid) - natsBefore).toBeLessThan(50 * 1024);

    // The cap counts live subscriptions: one freed, one more allowed; re-subscribing a held one is fine.
    expect(await c.request("chat.subscribe", { sessionKey: "flood-0" })).toMatchObject({ ok: true });
    expect(await c.request("chat.unsubscribe", { sessionKey: "flood-1" })).toMatchObject({ ok: true, payload: { unsubscribed: true } });
    expect(await c.request("chat.subscribe", { sessionKey: "one-more" })).toMatchObject({ ok: true });
    expect(await c.request("chat.subscribe", { sessionKey: "and-another" })).toMatchObject({
      ok: false,
      error: { code: "too_many_subscriptions" },
    });

    // Another connection has its own allowance; closing the first frees its subscriptions.
    const other = await h.connected();
    expect(await other.request("sessions.subscribe", {})).toMatchObject({ ok: true });
    await c.close();
    const deadline = Date.now() + 5_000;
    while (h.edge.stats().subscriptions !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(h.edge.stats().subscriptions).toBe(1);
  });

  test("deeply nested JSON in a WS frame is bad_request, and the connection serves on", async () => {
    const c = await h.connected();
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    c.sendText(deep);
    const a = await c.waitFor((f) => f.type === "res");
    expect(a).toMatchObject({ ok: false, error: { code: "bad_request", message: expect.stringMatching(/nesting too deep/) } });
    c.sendText(`{"type":"req","id":"deep1","method":"sessions.list","params":${"[".repeat(50_000)}${"]".repeat(50_000)}}`);
    const b = await c.waitFor((f) => f.type === "res");
    expect(b).toMatchObject({ ok: false, error: { code: "bad_request", message: expect.stringMatching(/nesting too deep/) } });
    expect(JSON.stringify([a, b])).not.toMatch(/call stack/i);
    expect(await c.request("status")).toMatchObject({ ok: true });
  });

  test("deeply nested JSON to the pairing routes is 400 bad_request, never a stack overflow", async () => {
    for (const path of ["/api/nodes/pair", "/api/nodes/pair/status"]) {
      const levels = Math.floor(MAX_PAIRING_BODY_BYTES / 2) - 1; // fits the body cap, far too deep
      const r = await post(`${h.edge.url}${path}`, "[".repeat(levels) + "]".repeat(levels));
      expect(r).toMatchObject({
        status: 400,
        body: { ok: false, error: { code: "bad_request", message: expect.stringMatching(/nesting too deep/) } },
      });
      const big = await post(`${h.edge.url}${path}`, "[".repeat(100_000) + "]".repeat(100_000));
      expect(big).toMatchObject({ status: 400, body: { ok: false, error: { code: "bad_request" } } });
      expect(JSON.stringify([r, big])).not.toMatch(/call stack/i);
    }
    expect((await rawGet(h.edge.port, "/health")).status).toBe(200);
  });
});
