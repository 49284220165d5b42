/**
 * The provider methods of the edge: sessions.setModel, models.list, providers.list,
 * providers.setKey and models.enable, against small responders on a real nats-server. The key
 * given to providers.setKey must never show up in a log line, the metrics or a reply.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { serve } from "../../../bus/rpc.ts";
import { subjects } from "../../../bus/subjects.ts";
import { CairnError, type ModelInfo, type ProviderStatus } from "../../../schemas/index.ts";
import type { Frame, WsClient } from "../../fixtures/ws-client.ts";
import { edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

describe.each(edgeTransports)("on %s", (transport) => {
  const logs: string[] = [];
  let h: Harness;
  let stopStatus: () => void;
  let c: WsClient;
  /** Every reply frame the client got, to search for the key afterwards. */
  const replies: Frame[] = [];

  beforeAll(async () => {
    h = await startHarness({ transport, log: (line) => logs.push(line), requestTimeoutMs: 400 });
    stopStatus = h.serveStatus();
    c = await h.connected();
  });
  afterAll(async () => {
    stopStatus();
    await h.stop();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const req = async (method: string, params?: unknown) => {
    const res = await c.request(method, params);
    replies.push(res);
    return res;
  };

  /** Serves `subject`, recording what arrives. */
  function responder(subject: string, answer: (params: any, subject: string) => unknown) {
    const seen: { subject: string; params: any }[] = [];
    const sub = serve(h.nc, subject, async (params, msg) => {
      seen.push({ subject: msg.subject, params });
      return answer(params, msg.subject);
    });
    return { seen, stop: () => sub.unsubscribe() };
  }

  const model = (id: string, enabled = true): ModelInfo => ({
    id,
    provider: id.split("/")[0],
    contextWindow: 128_000,
    tools: true,
    vision: false,
    enabled,
  });

  const status = (over: Partial<ProviderStatus> = {}): ProviderStatus => ({
    id: "openai",
    label: "OpenAI",
    kind: "openai",
    baseUrl: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    key: { source: "stored", last4: "WXYZ", required: true },
    reachable: true,
    models: 3,
    error: null,
    checkedAt: 1_700_000_000_000,
    ...over,
  });

  describe("mapping to NATS", () => {
    test("sessions.setModel sends {model} to the session's set_model command; null returns to the default", async () => {
      const r = responder(subjects.commandsOfKind("session"), () => ({ ok: true }));
      await h.nc.flush();
      expect(await req("sessions.setModel", { sessionKey: "s-1", model: "openai/gpt-4o-mini" })).toMatchObject({
        ok: true,
        payload: { sessionKey: "s-1", model: "openai/gpt-4o-mini" },
      });
      expect(await req("sessions.setModel", { sessionKey: "s-1", model: null })).toMatchObject({
        ok: true,
        payload: { sessionKey: "s-1", model: null },
      });
      expect(r.seen).toEqual([
        { subject: subjects.command("session", "s-1", "set_model"), params: { model: "openai/gpt-4o-mini" } },
        { subject: subjects.command("session", "s-1", "set_model"), params: { model: null } },
      ]);
      r.stop();
    });

    test("a refused model comes back with the service's code", async () => {
      const r = responder(subjects.commandsOfKind("session"), () => {
        throw new CairnError("model_unknown", "no model openai/nope");
      });
      await h.nc.flush();
      expect(await req("sessions.setModel", { sessionKey: "s-1", model: "openai/nope" })).toMatchObject({
        ok: false,
        error: { code: "model_unknown", message: "no model openai/nope" },
      });
      r.stop();
    });

    test("models.list and providers.list forward refresh and answer the decoded lists", async () => {
      const models = { models: [model("openai/gpt-4o-mini"), model("local/tiny", false)], defaultModel: "openai/gpt-4o-mini" };
      const m = responder(subjects.query("models", "list"), () => models);
      const p = responder(subjects.query("providers", "list"), () => ({ providers: [status()] }));
      await h.nc.flush();
      expect(await req("models.list", {})).toMatchObject({ ok: true, payload: models });
      expect(await req("models.list", { refresh: true })).toMatchObject({ ok: true, payload: models });
      expect(await req("providers.list", { refresh: true })).toMatchObject({ ok: true, payload: { providers: [status()] } });
      expect(m.seen.map((s) => s.params)).toEqual([{}, { refresh: true }]);
      expect(p.seen.map((s) => s.params)).toEqual([{ refresh: true }]);
      m.stop();
      p.stop();
    });

    test("a malformed list from the service is internal, not passed on", async () => {
      const m = responder(subjects.query("models", "list"), () => ({ models: [{ id: "no-slash" }], defaultModel: null }));
      await h.nc.flush();
      expect(await req("models.list", {})).toMatchObject({ ok: false, error: { code: "internal" } });
      m.stop();
    });

    test("a refresh may take longer than an ordinary query", async () => {
      // The harness's query timeout is 400 ms; discovery gets 20 s.
      const p = responder(subjects.query("providers", "list"), async () => {
        await sleep(900);
        return { providers: [] };
      });
      await h.nc.flush();
      expect(await req("providers.list", {})).toMatchObject({ ok: false, error: { code: "timeout" } });
      expect(await req("providers.list", { refresh: true })).toMatchObject({ ok: true, payload: { providers: [] } });
      p.stop();
    });

    test("models.enable sends the provider and its models to the admin subject", async () => {
      const r = responder(subjects.admin("models", "enable"), () => ({ enabled: 2 }));
      await h.nc.flush();
      const params = { provider: "groq", models: ["groq/llama-3.1-8b-instant", "groq/mixtral-8x7b"] };
      expect(await req("models.enable", params)).toMatchObject({ ok: true, payload: params });
      expect(r.seen).toEqual([{ subject: subjects.admin("models", "enable"), params }]);
      r.stop();
    });

    test("invalid params are bad_request and nothing reaches NATS", async () => {
      const rs = [
        responder(subjects.commandsOfKind("session"), () => ({})),
        responder(subjects.query("models", "list"), () => ({ models: [], defaultModel: null })),
        responder(subjects.query("providers", "list"), () => ({ providers: [] })),
        responder(subjects.admin("providers", "set_key"), () => status()),
        responder(subjects.admin("models", "enable"), () => ({})),
      ];
      await h.nc.flush();
      const bad: [string, unknown][] = [
        ["sessions.setModel", { sessionKey: "s-1" }],
        ["sessions.setModel", { sessionKey: "s.1", model: null }],
        ["sessions.setModel", { sessionKey: "s-1", model: "gpt-4o" }],
        ["models.list", { refresh: "yes" }],
        ["models.list", { refresh: true, extra: 1 }],
        ["providers.list", { refresh: 1 }],
        ["providers.setKey", { provider: "openai" }],
        ["providers.setKey", { provider: "openai", key: "" }],
        ["providers.setKey", { provider: "x".repeat(33), key: "sk-abcdefgh" }],
        ["models.enable", { provider: "groq", models: ["no-slash"] }],
        ["models.enable", { provider: "groq" }],
      ];
      for (const [method, params] of bad) {
        expect(await req(method, params), `${method} ${JSON.stringify(params)}`).toMatchObject({
          ok: false,
          error: { code: "bad_request" },
        });
      }
      await h.nc.flush();
      await sleep(50);
      expect(rs.map((r) => r.seen.length)).toEqual([0, 0, 0, 0, 0]);
      for (const r of rs) r.stop();
    });
  });

  describe("providers.setKey never echoes the key", () => {
    const KEY = 'sk-live-"SECRET"\\key-0123456789WXYZ';

    test("the key reaches the service and only its status comes back", async () => {
      const r = responder(subjects.admin("providers", "set_key"), () => status());
      await h.nc.flush();
      const res = await req("providers.setKey", { provider: "openai", key: KEY });
      expect(res).toMatchObject({ ok: true, payload: status() });
      expect(r.seen).toEqual([{ subject: subjects.admin("providers", "set_key"), params: { provider: "openai", key: KEY } }]);
      r.stop();
    });

    test("a service error that repeats the key is redacted in the reply and the log", async () => {
      const r = responder(subjects.admin("providers", "set_key"), (p) => {
        throw new CairnError("internal", `could not store ${p.key} for ${p.provider}`, { key: p.key });
      });
      await h.nc.flush();
      const res = await req("providers.setKey", { provider: "openai", key: KEY });
      expect(res).toMatchObject({ ok: false, error: { code: "internal", message: "could not store [redacted] for openai" } });
      expect(res.error.details).toBeUndefined();
      expect(logs.some((l) => l.includes("could not store [redacted]"))).toBe(true);
      r.stop();
    });

    test("a service error naming a short key is withheld whole", async () => {
      const r = responder(subjects.admin("providers", "set_key"), (p) => {
        throw new CairnError("provider_auth", `key ${p.key} was refused`);
      });
      await h.nc.flush();
      const res = await req("providers.setKey", { provider: "groq", key: "abc" });
      expect(res).toMatchObject({ ok: false, error: { code: "provider_auth" } });
      expect(res.error.message).not.toContain("abc");
      r.stop();
    });

    test("decode errors do not quote the key", async () => {
      const long = `${KEY}-${"x".repeat(4100)}`;
      for (const params of [
        { provider: "openai", key: long },
        { provider: "openai", key: KEY, extra: true },
        { provider: 42, key: KEY },
        { provider: "openai", key: KEY, note: KEY },
      ]) {
        const res = await req("providers.setKey", params);
        expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
      }
    });

    test("no log line, metric or reply contains the key", async () => {
      const metrics = await (await fetch(`${h.edge.url}/metrics`)).text();
      expect(metrics).toContain('method="providers.setKey"');
      const all = [...logs, metrics, ...replies.map((f) => JSON.stringify(f))].join("\n");
      for (const fragment of ["SECRET", "0123456789WXYZ", "sk-live"]) expect(all).not.toContain(fragment);
    });
  });
});
