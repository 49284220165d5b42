/**
 * Web Push through a real gateway process: a device subscribes over the WebSocket (an event), the
 * gateway signs with its own VAPID key (made once, kept in the data dir) and encrypts to the
 * device, and a local push service checks the VAPID header and decrypts what a phone would show.
 * Pushes go out only while no tab says it is visible; a subscription the service calls gone is
 * dropped.
 */
import { readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startPushService, type PushServiceFixture } from "../fixtures/push-service.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

let llm: LlmServer;
let gw: GatewayProc;
let push: PushServiceFixture;
let ws: WsClient;
let dir: string;

beforeAll(async () => {
  [llm, push] = await Promise.all([startLlmServer(), startPushService()]);
  dir = mkdtempSync(join(tmpdir(), "cairn-push-"));
  writeFileSync(join(dir, "ca.pem"), push.caPem);
  writeFileSync(
    join(dir, "cairn.toml"),
    ["[tools.exec]", 'approval_mode = "always"', "[tools.exec.sandbox]", 'backend = "none"', ""].join("\n"),
  );
  gw = await startGatewayProc({
    llmBaseUrl: llm.url,
    extraEnv: { NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"), CAIRN_CONFIG_DIR: dir, CAIRN_PUSH_CONTACT: "mailto:owner@example.com" },
  });
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "push-test" } })).toMatchObject({ ok: true });
}, 120_000);

afterAll(async () => {
  await ws?.close();
  await Promise.allSettled([gw?.dispose(), llm?.close(), push?.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const pushesOf = (endpoint: string) => push.received.filter((p) => p.endpoint === endpoint);

describe("Web Push", () => {
  let publicKey: string;
  let phone: ReturnType<PushServiceFixture["subscribe"]>;

  test("the VAPID key pair is made once and kept private in the data dir", async () => {
    const res = await ws.request("push.key", {});
    expect(res.ok).toBe(true);
    publicKey = res.payload.publicKey;
    expect(Buffer.from(publicKey, "base64url")).toHaveLength(65);
    const file = join(gw.dataDir, "push", "vapid.json");
    expect(statSync(file).mode & 0o077).toBe(0);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    expect(stored.publicKey).toBe(publicKey);
    // The private key is nowhere the gateway talks.
    expect(gw.output()).not.toContain(stored.privateKey);
    expect(JSON.stringify(res)).not.toContain(stored.privateKey);
  });

  test("a device subscribes (an event in the log) and is listed without its keys; the same subscription again changes nothing", async () => {
    phone = push.subscribe();
    const sub = { device: "phone-1", label: "Chrome on Android", subscription: phone };
    expect(await ws.request("push.subscribe", sub)).toMatchObject({ ok: true, payload: { device: "phone-1", changed: true } });
    expect(await ws.request("push.subscribe", sub)).toMatchObject({ ok: true, payload: { changed: false } });
    const list = await ws.request("push.devices", {});
    expect(list.payload.devices).toEqual([{ device: "phone-1", label: "Chrome on Android", service: new URL(push.origin).host }]);
    const events = await gw.cli(["events", "tail", "--json", "--type", "settings.push_subscribed"]);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout.match(/settings\.push_subscribed/g)).toHaveLength(1);
  });

  test("a bad subscription is refused with a typed error and records nothing", async () => {
    const res = await ws.request("push.subscribe", {
      device: "x",
      label: "x",
      subscription: { endpoint: "http://insecure.example/p", keys: phone.keys },
    });
    expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  test("a reply that finishes while no tab is visible is pushed: signed with the gateway's key, encrypted to the device", async () => {
    llm.script({ chunks: ["The answer ", "is 42."] });
    const r = await gw.cli(["chat", "-s", "push-chat", "what is the answer?"]);
    expect(r.code, r.stderr).toBe(0);
    await expect.poll(() => pushesOf(phone.endpoint).length, { timeout: 20_000 }).toBe(1);
    expect(push.refused).toEqual([]);
    const [p] = pushesOf(phone.endpoint);
    expect(p.vapidKey).toBe(publicKey);
    expect(p.message).toEqual({ title: "Reply finished", body: "The answer is 42.", tag: "reply-push-chat", url: "#/s/push-chat" });
    expect(Number(p.ttl)).toBeGreaterThan(0);
  });

  test("an approval that waits is pushed with the command, urgently", async () => {
    // Only the tool call is scripted: the approval stays pending, so the model is not asked again.
    llm.script({ toolCalls: [{ id: "c1", name: "exec", arguments: JSON.stringify({ command: "touch approved-file" }) }] });
    expect(await ws.request("sessions.create", { key: "push-approve" })).toMatchObject({ ok: true });
    const sent = await ws.request("chat.send", { sessionKey: "push-approve", text: "make the file" });
    expect(sent.ok, JSON.stringify(sent)).toBe(true);
    await expect.poll(() => pushesOf(phone.endpoint).some((p) => p.message.title === "Approval needed"), { timeout: 20_000 }).toBe(true);
    const p = pushesOf(phone.endpoint).find((x) => x.message.title === "Approval needed");
    expect(p?.message.body).toBe("exec: touch approved-file");
    expect(p?.message.url).toBe("#/s/push-approve");
    expect(p?.urgency).toBe("high");
  });

  test("while a tab is visible nothing is pushed; once it is hidden again, pushes resume", async () => {
    expect(await ws.request("push.presence", { visible: true })).toMatchObject({ ok: true });
    llm.script({ chunks: ["Seen in the tab."] });
    expect((await gw.cli(["chat", "-s", "push-chat", "one"])).code).toBe(0);
    expect(await ws.request("push.presence", { visible: false })).toMatchObject({ ok: true });
    llm.script({ chunks: ["Seen on the phone."] });
    expect((await gw.cli(["chat", "-s", "push-chat", "two"])).code).toBe(0);
    await expect.poll(() => pushesOf(phone.endpoint).map((p) => p.message.body), { timeout: 20_000 }).toContain("Seen on the phone.");
    expect(pushesOf(phone.endpoint).map((p) => p.message.body)).not.toContain("Seen in the tab.");
  });

  test("a subscription the push service calls gone (410) is dropped; unsubscribe removes a device", async () => {
    const old = push.subscribe({ gone: true });
    expect(await ws.request("push.subscribe", { device: "old-laptop", label: "Firefox", subscription: old })).toMatchObject({ ok: true });
    llm.script({ chunks: ["Hi."] });
    expect((await gw.cli(["chat", "-s", "push-chat", "three"])).code).toBe(0);
    await expect
      .poll(async () => (await ws.request("push.devices", {})).payload.devices.map((d: { device: string }) => d.device), {
        timeout: 20_000,
      })
      .toEqual(["phone-1"]);
    expect(await ws.request("push.unsubscribe", { device: "phone-1" })).toMatchObject({ ok: true, payload: { removed: true } });
    expect((await ws.request("push.devices", {})).payload.devices).toEqual([]);
  });
});
