/**
 * How the UI's socket reports a refusal, so the app can ask whether to show the sign-in page: a
 * `connect` answered `unauthorized`, and a socket the gateway closes with 1008 (policy: a login
 * session revoked or expired) both end in state `error` with code `unauthorized`.
 */
import { expect, test } from "vitest";
import { GatewayClient } from "../../ui/src/lib/client.ts";

/** A socket that answers `connect` with `reply` (or closes with `closeCode` right after opening). */
function fakeSocket(behaviour: { reply?: unknown; closeCode?: number }) {
  return class FakeSocket {
    readyState = 0;
    onopen: (() => void) | null = null;
    onmessage: ((ev: { data: string }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: (() => void) | null = null;
    constructor() {
      queueMicrotask(() => {
        this.readyState = 1;
        this.onopen?.();
      });
    }
    send(raw: string) {
      const { id } = JSON.parse(raw) as { id: string };
      queueMicrotask(() => {
        if (behaviour.reply) this.onmessage?.({ data: JSON.stringify({ type: "res", id, ...(behaviour.reply as object) }) });
        if (behaviour.closeCode) this.close(behaviour.closeCode, "session ended");
      });
    }
    close(code = 1000, reason = "") {
      if (this.readyState === 3) return;
      this.readyState = 3;
      queueMicrotask(() => this.onclose?.({ code, reason }));
    }
  } as unknown as typeof WebSocket;
}

async function firstError(client: GatewayClient) {
  const state = new Promise<string>((resolve) => client.onState((s) => s === "error" && resolve(s)));
  client.start();
  await state;
  client.close();
  return client.lastError;
}

test("a connect refused as unauthorized", async () => {
  const WebSocket = fakeSocket({ reply: { ok: false, error: { code: "unauthorized", message: "sign in first" } } });
  expect(await firstError(new GatewayClient({ url: "ws://x/ws", WebSocket }))).toEqual({ code: "unauthorized", message: "sign in first" });
});

test("a socket closed with 1008 reads as unauthorized", async () => {
  const WebSocket = fakeSocket({ closeCode: 1008 });
  expect(await firstError(new GatewayClient({ url: "ws://x/ws", WebSocket }))).toEqual({ code: "unauthorized", message: "session ended" });
});

test("any other close stays `unavailable`", async () => {
  const WebSocket = fakeSocket({ closeCode: 1011 });
  expect((await firstError(new GatewayClient({ url: "ws://x/ws", WebSocket })))?.code).toBe("unavailable");
});
