import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { serve } from "../../../bus/rpc.ts";
import { subjects } from "../../../bus/subjects.ts";
import { startEdge } from "../../../bus/edge/index.ts";
import { staticTarget } from "../../../bus/edge/http.static.ts";
import { CairnError } from "../../../schemas/index.ts";
import { cannedStatus, rawGet, edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
    mkdirSync(join(h.uiDir, "assets"));
    writeFileSync(join(h.uiDir, "index.html"), "<!doctype html><title>cairn ui</title>");
    writeFileSync(join(h.uiDir, "assets", "index-4f3a9c.js"), "console.log('ui')");
    writeFileSync(join(h.uiDir, "assets", "index-4f3a9c.css"), "body{}");
    writeFileSync(join(h.uiDir, "favicon.svg"), "<svg/>");
    writeFileSync(join(h.uiDir, ".env"), "SECRET=1");
  });
  afterAll(() => h.stop());

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  describe("/health", () => {
    test("degraded (503, with the reason) when nothing answers q.status.get", async () => {
      const t0 = Date.now();
      const r = await fetch(`${h.edge.url}/health`);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(r.status).toBe(503);
      const body = await r.json();
      expect(body).toMatchObject({ status: "degraded", version: "9.9.9", nats: { connected: true }, projections: null });
      expect(body.reason).toContain("unavailable");
    });

    test("ok (200) with the projection status when it answers", async () => {
      const stop = h.serveStatus();
      try {
        const r = await fetch(`${h.edge.url}/health`);
        expect(r.status).toBe(200);
        expect(r.headers.get("content-type")).toContain("application/json");
        expect(await r.json()).toEqual({
          status: "ok",
          version: "9.9.9",
          transport,
          url: h.edge.url,
          nats: { connected: true, version: expect.stringMatching(/^2\./) },
          projections: cannedStatus.projections,
        });
      } finally {
        stop();
      }
    });

    test("ok (200) while the read models catch up, saying how far they have to go", async () => {
      const projections = { checkpoint: 1_000, logLastSeq: 251_000, lag: 250_000, state: "ok" as const, catchingUp: 250_000 };
      const sub = serve(h.nc, subjects.query("status", "get"), () => ({ ...cannedStatus, projections }));
      try {
        const r = await fetch(`${h.edge.url}/health`);
        expect(r.status).toBe(200);
        expect(await r.json()).toMatchObject({ status: "ok", note: "catching up: 250000 events", projections });
      } finally {
        sub.unsubscribe();
      }
    });

    test("says which transport serves, and that is the one running", async () => {
      const r = await fetch(`${h.edge.url}/health`);
      expect((await r.json()).transport).toBe(transport);
      expect(h.edge.transport).toBe(transport);
      // uWS marks every response with its own header; node:http sends none.
      expect(r.headers.get("uwebsockets")).toBe(transport === "uws" ? "20" : null);
    });

    test("a non-local caller without a token learns only the status", async () => {
      const stop = h.serveStatus();
      try {
        const r = await rawGet(h.edge.port, "/health", { "X-Forwarded-For": "198.51.100.7" });
        expect(r.status).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ status: "ok" });
      } finally {
        stop();
      }
    });

    test("a client that disconnects mid-response does not crash the edge", async () => {
      const sub = serve(h.nc, subjects.query("status", "get"), async () => {
        await sleep(300);
        return cannedStatus;
      });
      await h.nc.flush();
      for (let i = 0; i < 5; i++) {
        const s = netConnect(h.edge.port, "127.0.0.1");
        await new Promise((r) => s.once("connect", r));
        s.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        await sleep(20);
        s.destroy();
      }
      await sleep(400); // the replies arrive after their clients left
      const r = await fetch(`${h.edge.url}/health`);
      expect(r.status).toBe(200);
      sub.unsubscribe();
    });
  });

  describe("/metrics", () => {
    test("Prometheus text for local clients", async () => {
      const r = await fetch(`${h.edge.url}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/plain");
      const text = await r.text();
      expect(text).toContain("# TYPE cairn_edge_ws_connections gauge");
      expect(text).toMatch(/cairn_http_requests_total\{route="health",status="503"\} \d+/);
      expect(text).toContain("cairn_edge_ws_received_bytes_total");
    });

    test("non-local clients need the bearer token", async () => {
      const token = "metrics-token-0123456789";
      const edge = await h.otherEdge({ authToken: token });
      try {
        const proxied = { "X-Forwarded-For": "198.51.100.7" };
        const denied = await rawGet(edge.port, "/metrics", proxied);
        expect(denied.status).toBe(401);
        expect(denied.headers["www-authenticate"]).toBe("Bearer");
        const wrong = await rawGet(edge.port, "/metrics", { ...proxied, Authorization: "Bearer nope" });
        expect(wrong.status).toBe(401);
        const ok = await rawGet(edge.port, "/metrics", { ...proxied, Authorization: `Bearer ${token}` });
        expect(ok.status).toBe(200);
      } finally {
        await edge.close();
      }
    });
  });

  describe("static UI", () => {
    test("index with security headers", async () => {
      const r = await rawGet(h.edge.port, "/", { Host: `127.0.0.1:${h.edge.port}` });
      expect(r.status).toBe(200);
      expect(r.body).toContain("cairn ui");
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.headers["cache-control"]).toBe("no-cache");
      const csp = String(r.headers["content-security-policy"]);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${h.edge.port} wss://127.0.0.1:${h.edge.port}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.headers["x-content-type-options"]).toBe("nosniff");
      expect(r.headers["x-frame-options"]).toBe("DENY");
    });

    test("hashed assets: content type and immutable caching", async () => {
      const js = await rawGet(h.edge.port, "/assets/index-4f3a9c.js");
      expect(js.status).toBe(200);
      expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect((await rawGet(h.edge.port, "/assets/index-4f3a9c.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
      expect((await rawGet(h.edge.port, "/favicon.svg")).headers["content-type"]).toBe("image/svg+xml");
    });

    test("SPA fallback for page paths; 404 for missing files and unknown API paths", async () => {
      for (const path of ["/sessions/work", "/settings", "/sessions/work?x=1"]) {
        const r = await rawGet(h.edge.port, path);
        expect(r.status, path).toBe(200);
        expect(r.body, path).toContain("cairn ui");
      }
      expect((await rawGet(h.edge.port, "/assets/missing-123.js")).status).toBe(404);
      const api = await rawGet(h.edge.port, "/api/nope");
      expect(api.status).toBe(404);
      expect(api.headers["content-type"]).toContain("application/json");
      expect((await rawGet(h.edge.port, "/ws")).status).toBe(426);
    });

    test("path traversal and dotfiles are refused", async () => {
      for (const path of [
        "/../package.json",
        "/%2e%2e/package.json",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/assets/..%2f..%2fpackage.json",
        "/assets/%2e%2e/%2e%2e/package.json",
        "/..%5c..%5cpackage.json",
        "/%00index.html",
        "/%zz",
        "/.env",
      ]) {
        const r = await rawGet(h.edge.port, path);
        expect(r.status, path).toBe(400);
        expect(r.body, path).not.toContain("cairn");
        expect(r.body, path).not.toContain("SECRET");
      }
    });

    test("other methods are 405", async () => {
      const r = await fetch(`${h.edge.url}/`, { method: "POST", body: "x" });
      expect(r.status).toBe(405);
    });

    test("without a built UI, / explains how to build it", async () => {
      const empty = mkdtempSync(join(tmpdir(), "cairn-ui-empty-"));
      const edge = await h.otherEdge({ uiDir: join(empty, "dist") });
      try {
        const r = await fetch(`${edge.url}/`);
        expect(r.status).toBe(200);
        expect(await r.text()).toContain("npm run build:ui");
        expect((await fetch(`${edge.url}/assets/app.js`)).status).toBe(404);
      } finally {
        await edge.close();
        rmSync(empty, { recursive: true, force: true });
      }
    });

    test("staticTarget (pure)", () => {
      expect(staticTarget("/")).toEqual({ kind: "file", rel: "index.html" });
      expect(staticTarget("/assets/a.js")).toEqual({ kind: "file", rel: "assets/a.js" });
      expect(staticTarget("//assets//a.js")).toEqual({ kind: "file", rel: "assets/a.js" });
      expect(staticTarget("/a%20b.txt")).toEqual({ kind: "file", rel: "a b.txt" });
      for (const p of ["/../x", "/a/../../x", "/%2e%2e/x", "/a\\b", "/%00", "/%E0%A4%A", "/.git/config", "relative"]) {
        expect(staticTarget(p).kind, p).toBe("bad");
      }
    });
  });

  describe("start-up refusals", () => {
    test("a non-loopback bind starts, and a non-local client gets nothing without a credential", async () => {
      const edge = await startEdge({ transport, nc: h.nc, host: "0.0.0.0", port: 0, uiDir: h.uiDir, version: "x" });
      try {
        const r = await fetch(`http://127.0.0.1:${edge.port}/metrics`, { headers: { "X-Forwarded-For": "203.0.113.9" } });
        expect(r.status).toBe(401);
      } finally {
        await edge.close();
      }
    });

    test("a port in use is a clear error", async () => {
      await expect(
        startEdge({ transport, nc: h.nc, host: "127.0.0.1", port: h.edge.port, uiDir: h.uiDir, version: "x" }),
      ).rejects.toSatisfy((e: unknown) => e instanceof CairnError && e.code === "unavailable" && e.message.includes(String(h.edge.port)));
    });
  });

  describe("transport choice", () => {
    test("CAIRN_EDGE_TRANSPORT=node serves through node:http whatever uWS could do", async () => {
      const before = process.env.CAIRN_EDGE_TRANSPORT;
      process.env.CAIRN_EDGE_TRANSPORT = "node";
      try {
        const e = await startEdge({ nc: h.nc, host: "127.0.0.1", port: 0, uiDir: h.uiDir, version: "x" });
        try {
          const r = await fetch(`${e.url}/health`);
          expect((await r.json()).transport).toBe("node");
          expect(r.headers.get("uwebsockets")).toBeNull();
          expect(r.headers.get("x-frame-options")).toBe("DENY");
        } finally {
          await e.close();
        }
      } finally {
        if (before === undefined) delete process.env.CAIRN_EDGE_TRANSPORT;
        else process.env.CAIRN_EDGE_TRANSPORT = before;
      }
    });
  });

  describe("when NATS goes away", () => {
    test("requests answer unavailable quickly, health is degraded, and both recover with the bus", async () => {
      const own = await startHarness({ transport });
      try {
        own.serveStatus();
        const c = await own.connected();
        expect(await c.request("chat.subscribe", { sessionKey: "k" })).toMatchObject({ ok: true });
        await own.nats.server.stop(); // the client stays open and keeps reconnecting
        await sleep(200);
        const t0 = Date.now();
        expect(await c.request("status")).toMatchObject({ ok: false, error: { code: "unavailable" } });
        expect(await c.request("chat.subscribe", { sessionKey: "k" })).toMatchObject({ ok: false, error: { code: "unavailable" } });
        expect(await c.request("chat.send", { sessionKey: "k", text: "hi" })).toMatchObject({ ok: false, error: { code: "unavailable" } });
        expect(Date.now() - t0).toBeLessThan(1_000);
        const health = await fetch(`${own.edge.url}/health`);
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({ status: "degraded", nats: { connected: false } });

        await own.nats.restart();
        const deadline = Date.now() + 15_000;
        while ((await fetch(`${own.edge.url}/health`)).status !== 200) {
          if (Date.now() > deadline) throw new Error("edge did not recover");
          await sleep(100);
        }
        expect(await c.request("status")).toMatchObject({ ok: true });
        // The restarted test server starts the live stream's sequence over: a client resuming with
        // its old cursor still gets what is new.
        const ack = await jetstream(own.nc).publish(
          subjects.liveSession("k2"),
          JSON.stringify({ type: "run.delta", runId: "r", index: 0, text: "a" }),
        );
        expect(ack.seq).toBe(1);
        const d = await own.connected();
        expect(await d.request("chat.subscribe", { sessionKey: "k2", fromSeq: 40 })).toMatchObject({ ok: true, payload: { seq: 1 } });
        expect(await d.waitFor((f) => f.type === "event")).toMatchObject({ payload: { sessionKey: "k2", index: 0 } });
      } finally {
        await own.stop();
      }
    });

    test("after a nats-server crash, live subscriptions resume promptly without gaps or repeats", async () => {
      const own = await startHarness({ transport });
      try {
        own.serveStatus();
        const c = await own.connected();
        await c.request("chat.subscribe", { sessionKey: "k" });
        // Live messages are core NATS publishes, as the run host sends them.
        const pub = async (i: number) =>
          own.nc.publish(subjects.liveSession("k"), JSON.stringify({ type: "run.delta", runId: "r", index: i, text: "a" }));
        for (let i = 0; i < 3; i++) await pub(i);
        for (let i = 0; i < 3; i++) await c.waitFor((f) => f.type === "event");
        own.nats.kill(); // the supervisor restarts it; the client reconnects
        const deadline = Date.now() + 20_000;
        while ((await fetch(`${own.edge.url}/health`)).status !== 200) {
          if (Date.now() > deadline) throw new Error("edge did not recover");
          await sleep(100);
        }
        for (let i = 3; i < 8; i++) await pub(i);
        const got = [];
        for (let i = 3; i < 8; i++) got.push((await c.waitFor((f) => f.type === "event", 10_000)).payload.index);
        expect(got).toEqual([3, 4, 5, 6, 7]);
        await sleep(200);
        expect(c.inbox.filter((f) => f.type === "event")).toEqual([]);
      } finally {
        await own.stop();
      }
    });
  });
});
