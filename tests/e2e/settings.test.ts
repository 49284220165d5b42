/**
 * Settings through a real gateway process: `cairn settings` and the `settings.*` WebSocket
 * methods, each change a `settings.changed` event that the next run uses without a restart
 * (default model, system prompt), announced live to every connected client, and bad input
 * refused with a typed error.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

const T = 90_000;
const { llm, gw } = useGatewayWithLlm({ model: "openai/test-model" });

let ws: WsClient;
beforeAll(async () => {
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "settings-test" } })).toMatchObject({ ok: true });
});
afterAll(async () => {
  await ws?.close();
});

const lastRequest = () => llm.requests.at(-1);
const systemOf = (body: { messages: { role: string; content: unknown }[] }) =>
  body.messages.find((m) => m.role === "system")?.content ?? null;

describe("cairn settings and the next run", () => {
  test(
    "list shows each key with cairn.toml's value and the config path; nothing is set yet",
    async () => {
      const r = await gw.cli(["settings", "list", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const [view] = jsonLines(r.stdout);
      expect(view.configPath).toBe(`${gw.configDir}/cairn.toml`);
      expect(view.settings.find((s: { key: string }) => s.key === "agent.model")).toEqual({
        key: "agent.model",
        value: null,
        configured: "openai/test-model",
        effective: "openai/test-model",
      });
      expect(view.settings.find((s: { key: string }) => s.key === "agent.max_iterations")).toMatchObject({ effective: 25 });
      expect(view.fileOnly.map((r: { key: string }) => r.key)).toContain("gateway.port");
    },
    T,
  );

  test(
    "a changed default model and system prompt are used by the next run, without a restart",
    async () => {
      expect((await gw.cli(["chat", "-s", "before", "hello"])).code).toBe(0);
      expect(lastRequest()?.body.model).toBe("test-model");
      expect(systemOf(lastRequest()?.body)).toBeNull();

      expect((await gw.cli(["settings", "set", "agent.model", "openai/model-b"])).code).toBe(0);
      const prompt = await gw.cli(["settings", "set", "agent.system_prompt", "You are terse.", "--json"]);
      expect(jsonLines(prompt.stdout)).toEqual([{ key: "agent.system_prompt", value: "You are terse.", changed: true }]);

      // A chat that never picked a model follows the default: the session made before too.
      for (const key of ["after", "before"]) {
        expect((await gw.cli(["chat", "-s", key, "hello again"])).code).toBe(0);
        expect(lastRequest()?.body.model).toBe("model-b");
        expect(systemOf(lastRequest()?.body)).toBe("You are terse.");
      }
      // Status and the model list name the default in effect.
      const status = await ws.request("status", {});
      expect(status.payload.model).toBe("openai/model-b");

      expect((await gw.cli(["settings", "get", "agent.model"])).stdout).toBe("openai/model-b\n");
      // The changes are events in the log.
      const events = await gw.cli(["events", "tail", "--kind", "settings", "--json"]);
      const types = jsonLines(events.stdout).map((e: { type: string; data: { key?: string } }) => `${e.type}:${e.data.key}`);
      expect(types).toEqual(expect.arrayContaining(["settings.changed:agent.model", "settings.changed:agent.system_prompt"]));
    },
    T,
  );

  test(
    "bad values are refused with a typed error and change nothing",
    async () => {
      const zero = await gw.cli(["settings", "set", "agent.max_iterations", "0"]);
      expect(zero.code).not.toBe(0);
      expect(zero.stderr).toMatch(/bad_request|agent\.max_iterations/);
      const unknown = await gw.cli(["settings", "set", "agent.model", "nosuchprovider/x"]);
      expect(unknown.code).not.toBe(0);
      expect((await gw.cli(["settings", "set", "gateway.port", "80"])).code).toBe(2);
      const res = await ws.request("settings.set", { key: "tools.exec.approval_mode", value: "sometimes" });
      expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
      const view = (await ws.request("settings.get", {})).payload;
      expect(view.settings.find((s: { key: string }) => s.key === "agent.max_iterations").value).toBeNull();
      expect(view.settings.find((s: { key: string }) => s.key === "tools.exec.approval_mode").value).toBeNull();
    },
    T,
  );

  test(
    "a change over the WebSocket is announced to every subscribed client as settings.changed",
    async () => {
      const other = await connectWs(`${new URL(gw.url).origin}/ws`);
      try {
        await other.request("connect", { protocol: 1, client: { name: "other-tab" } });
        expect(await other.request("sessions.subscribe", {})).toMatchObject({ ok: true });
        const set = await ws.request("settings.set", { key: "agent.max_iterations", value: 7 });
        expect(set).toMatchObject({ ok: true, payload: { key: "agent.max_iterations", changed: true } });
        await other.waitFor((f) => f.type === "event" && f.event === "sessions" && f.payload?.type === "settings.changed");
        const row = (await other.request("settings.get", {})).payload.settings.find(
          (s: { key: string }) => s.key === "agent.max_iterations",
        );
        expect(row).toEqual({ key: "agent.max_iterations", value: 7, configured: 25, effective: 7 });
      } finally {
        await other.close();
      }
    },
    T,
  );

  test(
    "unset falls back to cairn.toml for the next run",
    async () => {
      const view = (await ws.request("settings.get", {})).payload;
      expect(view.settings.find((s: { key: string }) => s.key === "agent.model").value).toBe("openai/model-b");
      expect((await gw.cli(["settings", "unset", "agent.model"])).code).toBe(0);
      expect((await gw.cli(["chat", "-s", "later", "hi"])).code).toBe(0);
      expect(lastRequest()?.body.model).toBe("test-model");
      expect(systemOf(lastRequest()?.body)).toBe("You are terse.");
      // Revoking a command that was never always allowed says so.
      expect((await gw.cli(["settings", "revoke", "rm -rf /"])).code).toBe(1);
    },
    T,
  );
});
