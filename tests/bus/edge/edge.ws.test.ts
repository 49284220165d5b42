import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { serve } from "../../../bus/rpc.ts";
import { LIVE_STREAM, subjects } from "../../../bus/subjects.ts";
import { CLOSE_SLOW_CONSUMER } from "../../../bus/edge/index.ts";
import { CairnError, MAX_FRAME_BYTES } from "../../../schemas/index.ts";
import { connectWs, type UpgradeRefused, type WsClient } from "../../fixtures/ws-client.ts";
import { cannedStatus, edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  let stopStatus: () => void;
  beforeAll(async () => {
    h = await startHarness({ transport });
    stopStatus = h.serveStatus();
  });
  afterAll(async () => {
    stopStatus();
    await h.stop();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const delta = (index: number, text = `t${index}`) => JSON.stringify({ type: "run.delta", runId: "run1", index, text });
  const liveConsumers = async () => (await (await jetstreamManager(h.nc)).consumers.list(LIVE_STREAM).next()).length;
  const until = async (cond: () => Promise<boolean> | boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("condition not reached");
      await sleep(25);
    }
  };

  describe("handshake", () => {
    test("requests before connect are refused; wrong protocol is refused; connect returns the status and the UI build", async () => {
      writeFileSync(join(h.uiDir, "index.html"), '<script type="module" crossorigin src="./assets/index-t1.js"></script>');
      const c = await h.ws();
      expect(await c.request("status")).toMatchObject({ ok: false, error: { code: "not_connected" } });
      expect(await c.request("connect", { protocol: 2, client: { name: "t" } })).toMatchObject({
        ok: false,
        error: { code: "unsupported_protocol" },
      });
      expect(await c.request("connect", { protocol: 1 })).toMatchObject({ ok: false, error: { code: "bad_request" } });
      const res = await c.request("connect", { protocol: 1, client: { name: "t", version: "1" } });
      expect(res).toEqual({
        type: "res",
        id: res.id,
        ok: true,
        payload: { protocol: 1, server: { name: "cairn", version: "9.9.9", ui: "assets/index-t1.js" }, status: cannedStatus },
      });
      expect(await c.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({ ok: false });
      expect(await c.request("status")).toMatchObject({ ok: true, payload: cannedStatus });
    });
  });

  describe("bad input keeps the connection open", () => {
    let c: WsClient;
    beforeAll(async () => {
      c = await h.connected();
    });

    test("unknown method", async () => {
      expect(await c.request("sessions.purge", {}, "u1")).toEqual({
        type: "res",
        id: "u1",
        ok: false,
        error: { code: "unknown_method", message: expect.any(String) },
      });
      expect(await c.request("status")).toMatchObject({ ok: true });
    });

    test("invalid params are bad_request and nothing reaches NATS", async () => {
      let calls = 0;
      const sub = serve(h.nc, subjects.query("sessions", "list"), () => {
        calls++;
        return { sessions: [] };
      });
      await h.nc.flush();
      for (const params of [{ limit: 0 }, { limit: "10" }, { limit: 5, extra: true }, "nope", [1]]) {
        expect(await c.request("sessions.list", params)).toMatchObject({ ok: false, error: { code: "bad_request" } });
      }
      for (const params of [{ sessionKey: "a.b", text: "x" }, { sessionKey: "k", text: "" }, { sessionKey: "k" }]) {
        expect(await c.request("chat.send", params)).toMatchObject({ ok: false, error: { code: "bad_request" } });
      }
      expect(calls).toBe(0);
      expect(await c.request("sessions.list", { limit: 5 })).toEqual(expect.objectContaining({ ok: true, payload: { sessions: [] } }));
      expect(calls).toBe(1);
      sub.unsubscribe();
    });

    test("malformed JSON, non-req frames and binary frames", async () => {
      c.sendText("{not json");
      expect(await c.waitFor((f) => f.type === "res")).toMatchObject({ id: "", ok: false, error: { code: "bad_frame" } });
      c.sendText(JSON.stringify({ type: "event", id: "e1" }));
      expect(await c.waitFor((f) => f.type === "res")).toMatchObject({ id: "e1", ok: false, error: { code: "bad_frame" } });
      c.sendBinary(new TextEncoder().encode(JSON.stringify({ type: "req", id: "b1", method: "status" })));
      expect(await c.waitFor((f) => f.type === "res")).toMatchObject({ id: "", ok: false, error: { code: "bad_frame" } });
      expect(await c.request("status")).toMatchObject({ ok: true });
    });

    test("oversize frame is frame_too_large; the next request works", async () => {
      const big = JSON.stringify({ type: "req", id: "big", method: "status", params: { pad: "x".repeat(MAX_FRAME_BYTES) } });
      c.sendText(big);
      expect(await c.waitFor((f) => f.type === "res")).toMatchObject({ id: "", ok: false, error: { code: "frame_too_large" } });
      expect(await c.request("status")).toMatchObject({ ok: true });
      expect(h.edge.stats().framesRejected).toBeGreaterThanOrEqual(4);
    });
  });

  describe("methods over NATS", () => {
    let c: WsClient;
    beforeAll(async () => {
      c = await h.connected();
    });

    test("a remote CairnError is forwarded with its code", async () => {
      const seen: { subject: string; params: unknown }[] = [];
      const sub = serve(h.nc, subjects.commandsOfKind("session"), (params, msg) => {
        seen.push({ subject: msg.subject, params });
        if (msg.subject.includes(".missing.")) throw new CairnError("session_not_found", "no session 'missing'");
        return { messageId: "m1", runId: "r1", duplicate: false };
      });
      await h.nc.flush();
      expect(await c.request("chat.send", { sessionKey: "missing", text: "hi" })).toMatchObject({
        ok: false,
        error: { code: "session_not_found", message: "no session 'missing'" },
      });
      expect(await c.request("chat.send", { sessionKey: "work", text: "hello", messageId: "m1" })).toMatchObject({
        ok: true,
        payload: { messageId: "m1", runId: "r1", duplicate: false },
      });
      expect(seen[1]).toEqual({ subject: "cmd.session.work.send", params: { text: "hello", messageId: "m1" } });
      sub.unsubscribe();
    });

    test("sessions.create generates a token-safe key when none is given", async () => {
      const sub = serve(h.nc, subjects.commandsOfKind("session"), (params, msg) => ({
        key: msg.subject.split(".")[2],
        created: true,
        echo: params, // extra keys from a newer peer are dropped, not forwarded
      }));
      await h.nc.flush();
      const res = await c.request("sessions.create", { title: "Ideas" });
      expect(res.ok).toBe(true);
      expect(res.payload.key).toMatch(/^s-[0-9a-z]{10}$/);
      expect(res.payload).toEqual({ key: res.payload.key, created: true });
      expect(await c.request("sessions.create", { key: "mine" })).toMatchObject({ payload: { key: "mine" } });
      sub.unsubscribe();
    });

    test("a malformed reply from a peer is internal, and no responder is unavailable", async () => {
      const sub = serve(h.nc, subjects.query("messages", "history"), () => ({ wrong: true }));
      await h.nc.flush();
      expect(await c.request("chat.history", { sessionKey: "k" })).toMatchObject({ ok: false, error: { code: "internal" } });
      sub.unsubscribe();
      await h.nc.flush();
      expect(await c.request("chat.history", { sessionKey: "k" })).toMatchObject({ ok: false, error: { code: "unavailable" } });
    });
  });

  describe("live subscriptions", () => {
    const events = (c: WsClient) => c.inbox.filter((f) => f.type === "event");
    // Earlier tests' clients leave asynchronously: start each test from no live subscription.
    beforeEach(() => until(() => h.edge.stats().subscriptions === 0 && h.edge.stats().liveFeeds === 0));

    test("chat.subscribe forwards the session's live messages as they are published; malformed ones are skipped", async () => {
      const js = jetstream(h.nc);
      await js.publish(subjects.liveSession("other"), delta(0));
      const c = await h.connected();
      const sub = await c.request("chat.subscribe", { sessionKey: "k1" });
      expect(sub).toMatchObject({ ok: true, payload: { seq: expect.any(Number) } });
      const skipped = h.edge.stats().liveSkipped;
      h.nc.publish(subjects.liveSession("k1"), delta(0));
      h.nc.publish(subjects.liveSession("other"), delta(1));
      h.nc.publish(subjects.liveSession("k1"), "not json at all");
      h.nc.publish(subjects.liveSession("k1"), JSON.stringify({ noType: true }));
      h.nc.publish(subjects.liveSession("k1"), delta(1));
      h.nc.publish(subjects.liveSession("k1"), delta(2));
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await c.waitFor((f) => f.type === "event"));
      expect(got.map((e) => e.payload.index)).toEqual([0, 1, 2]);
      expect(got[0]).toEqual({
        type: "event",
        event: "chat",
        payload: { type: "run.delta", runId: "run1", index: 0, text: "t0", sessionKey: "k1" },
      });
      expect(h.edge.stats().liveSkipped - skipped).toBe(2);
      c.destroy();
    });

    test("fromSeq replays what the stream holds after the cursor, then goes live, each message once", async () => {
      const js = jetstream(h.nc);
      const first = (await js.publish(subjects.liveSession("kq"), delta(0))).seq;
      await js.publish(subjects.liveSession("kq"), delta(1));
      await js.publish(subjects.liveSession("kq"), delta(2));
      const c = await h.connected();
      expect(await c.request("chat.subscribe", { sessionKey: "kq", fromSeq: first })).toMatchObject({ ok: true });
      h.nc.publish(subjects.liveSession("kq"), delta(3));
      const got = [];
      for (let i = 0; i < 3; i++) got.push((await c.waitFor((f) => f.type === "event")).payload.index);
      expect(got).toEqual([1, 2, 3]);
      await sleep(150);
      expect(events(c)).toEqual([]);
      c.destroy();
    });

    test("a cursor beyond the stream's end (a restarted bus) resumes from everything retained", async () => {
      const js = jetstream(h.nc);
      const ack = await js.publish(subjects.liveSession("kr"), delta(0));
      const c = await h.connected();
      const res = await c.request("chat.subscribe", { sessionKey: "kr", fromSeq: ack.seq + 1000 });
      expect(res.payload.seq).toBeGreaterThanOrEqual(ack.seq);
      expect(await c.waitFor((f) => f.type === "event")).toMatchObject({ payload: { index: 0 } });
      c.destroy();
    });

    test("fromTime resumes from a point in time", async () => {
      const js = jetstream(h.nc);
      await js.publish(subjects.liveSession("kt"), delta(0));
      await sleep(50);
      const since = Date.now();
      await sleep(50);
      await js.publish(subjects.liveSession("kt"), delta(1));
      const c = await h.connected();
      expect(await c.request("chat.subscribe", { sessionKey: "kt", fromTime: since })).toMatchObject({ ok: true });
      expect(await c.waitFor((f) => f.type === "event")).toMatchObject({ payload: { index: 1 } });
      await sleep(150);
      expect(events(c)).toEqual([]);
      c.destroy();
    });

    test("tabs watching one session share one bus subscription; each gets every message once", async () => {
      const tabs = await Promise.all([h.connected(), h.connected(), h.connected()]);
      for (const t of tabs) await t.request("chat.subscribe", { sessionKey: "shared" });
      expect(h.edge.stats().liveFeeds).toBe(1);
      for (let i = 0; i < 50; i++) h.nc.publish(subjects.liveSession("shared"), delta(i));
      for (const t of tabs) {
        const got = [];
        for (let i = 0; i < 50; i++) got.push((await t.waitFor((f) => f.type === "event")).payload.index);
        expect(got).toEqual([...Array(50).keys()]);
      }
      tabs[0].destroy();
      tabs[1].destroy();
      await until(() => h.edge.stats().subscriptions === 1);
      expect(h.edge.stats().liveFeeds).toBe(1);
      tabs[2].destroy();
      await until(() => h.edge.stats().liveFeeds === 0);
    });

    test("a second subscribe replaces the first; unsubscribe stops delivery; no JetStream consumer is left", async () => {
      const c = await h.connected();
      await c.request("chat.subscribe", { sessionKey: "k2" });
      await c.request("chat.subscribe", { sessionKey: "k2", fromTime: Date.now() - 1000 });
      h.nc.publish(subjects.liveSession("k2"), delta(0));
      await c.waitFor((f) => f.type === "event");
      await sleep(150);
      expect(events(c)).toEqual([]); // exactly one copy
      expect(await c.request("chat.unsubscribe", { sessionKey: "k2" })).toMatchObject({ payload: { unsubscribed: true } });
      h.nc.publish(subjects.liveSession("k2"), delta(1));
      await sleep(150);
      expect(events(c)).toEqual([]);
      // The replay's read of the stored tail cleans up after itself.
      await until(async () => (await liveConsumers()) === 0);
      c.destroy();
    });

    test("sessions.subscribe forwards live.sessions as 'sessions' events", async () => {
      const c = await h.connected();
      expect(await c.request("sessions.subscribe", {})).toMatchObject({ ok: true });
      h.nc.publish(subjects.liveSessions, JSON.stringify({ type: "sessions.changed", checkpoint: 3 }));
      expect(await c.waitFor((f) => f.type === "event")).toEqual({
        type: "event",
        event: "sessions",
        payload: { type: "sessions.changed", checkpoint: 3 },
      });
      c.destroy();
    });

    test("a client vanishing mid-stream leaks no subscription and breaks nothing", async () => {
      const c = await h.connected();
      await c.request("chat.subscribe", { sessionKey: "k3" });
      await c.request("sessions.subscribe", {});
      const pub = (async () => {
        for (let i = 0; i < 200; i++) {
          h.nc.publish(subjects.liveSession("k3"), delta(i, "x".repeat(2000)));
          if (i % 20 === 0) await sleep(1);
        }
      })();
      await c.waitFor((f) => f.type === "event");
      c.destroy();
      await pub;
      await until(() => h.edge.stats().subscriptions === 0 && h.edge.stats().liveFeeds === 0);
      const d = await h.connected();
      expect(await d.request("status")).toMatchObject({ ok: true });
      d.destroy();
    });

    test("a client that stops reading is dropped, not buffered for", async () => {
      const edge = await h.otherEdge({ maxBufferedBytes: 64 * 1024 });
      try {
        const c = await connectWs(`${edge.url}/ws`);
        expect(await c.request("connect", { protocol: 1, client: { name: "slow" } })).toMatchObject({ ok: true });
        await c.request("chat.subscribe", { sessionKey: "slow" });
        c.socket.pause();
        const js = jetstream(h.nc);
        const text = "y".repeat(60_000);
        let closed = false;
        void c.closed.then(() => (closed = true));
        for (let i = 0; i < 1000 && edge.stats().wsDroppedSlow === 0; i++) {
          await js.publish(subjects.liveSession("slow"), delta(i, text));
        }
        await until(() => edge.stats().wsDroppedSlow === 1);
        c.socket.resume();
        expect(await c.closed).toMatchObject({ code: CLOSE_SLOW_CONSUMER });
        expect(closed).toBe(true);
        await until(() => edge.stats().subscriptions === 0);
      } finally {
        await edge.close();
      }
    });
  });

  describe("rate limit and origins", () => {
    test("requests over the per-connection budget are rate_limited", async () => {
      let t = 0;
      const edge = await h.otherEdge({ now: () => t, rateLimit: { ratePerSec: 2, burst: 4 } });
      try {
        const c = await connectWs(`${edge.url}/ws`);
        expect(await c.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({ ok: true });
        const results = await Promise.all([1, 2, 3, 4, 5].map((i) => c.request("status", {}, `q${i}`)));
        const codes = results.map((r) => (r.ok ? "ok" : r.error.code));
        expect(codes).toEqual(["ok", "ok", "ok", "rate_limited", "rate_limited"]);
        expect(results[3].id).toBe("q4");
        t += 500; // one token back
        expect(await c.request("status")).toMatchObject({ ok: true });
        expect(await c.request("status")).toMatchObject({ ok: false, error: { code: "rate_limited" } });
        c.destroy();
      } finally {
        await edge.close();
      }
    });

    test("a cross-site Origin is refused with 403; same-site and listed origins are accepted", async () => {
      const host = new URL(h.edge.url).host;
      const refused = await h.ws({ Origin: "http://evil.example" }).then(
        () => undefined,
        (e: UpgradeRefused) => e,
      );
      expect(refused?.status).toBe(403);
      expect(refused?.body).toContain("forbidden_origin");
      const wrongPort = await h.ws({ Origin: "http://127.0.0.1:1" }).catch((e: UpgradeRefused) => e);
      expect((wrongPort as UpgradeRefused).status).toBe(403);
      const same = await h.ws({ Origin: `http://${host}` });
      expect(await same.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({ ok: true });
      same.destroy();

      const edge = await h.otherEdge({ allowedOrigins: ["http://localhost:5173"] });
      try {
        const dev = await connectWs(`${edge.url}/ws`, { Origin: "http://localhost:5173" });
        dev.destroy();
      } finally {
        await edge.close();
      }
    });

    test("a loopback peer naming a foreign Host (DNS rebinding) is not local: its connect needs a login", async () => {
      const ws = await h.ws({ Host: "evil.example" });
      expect(await ws.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({
        ok: false,
        error: { code: "unauthorized" },
      });
      expect((await ws.closed).code).toBe(1008);
    });

    test("with a token configured, a non-local client must present it in connect", async () => {
      const token = "a-very-long-test-token-123";
      const edge = await h.otherEdge({ authToken: token });
      try {
        // A forwarding header makes even a loopback peer non-local (a same-machine proxy).
        const proxied = { "X-Forwarded-For": "203.0.113.9" };
        const bad = await connectWs(`${edge.url}/ws`, proxied);
        expect(await bad.request("connect", { protocol: 1, client: { name: "t" }, auth: { token: "wrong" } })).toMatchObject({
          ok: false,
          error: { code: "unauthorized" },
        });
        expect((await bad.closed).code).toBe(1008);
        const good = await connectWs(`${edge.url}/ws`, proxied);
        expect(await good.request("connect", { protocol: 1, client: { name: "t" }, auth: { token } })).toMatchObject({ ok: true });
        good.destroy();
      } finally {
        await edge.close();
      }
    });
  });
});
