import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeJson, subjects } from "../../../bus/index.ts";
import { trackNodePresence, type PresenceChange } from "../../../actors/remote/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { hello, telemetry } from "./fake.node.ts";

let nats: TestNats;
let gw: NatsConnection;
let node: NatsConnection;
beforeAll(async () => {
  nats = await startTestNats();
  gw = await nats.connect("gateway");
  node = await nats.connect("node");
});
afterAll(async () => {
  await nats.stop();
});

/** Resolves when `check` holds, polling (the subscription delivers asynchronously). */
const eventually = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
};
const send = (id: string, what: "hello" | "heartbeat" | "telemetry" | "context", body: unknown) =>
  node.publish(subjects.nodeOut(id, what), typeof body === "string" ? new TextEncoder().encode(body) : encodeJson(body));

describe("node presence", () => {
  test("a hello makes the node online with its telemetry; it goes stale after staleMs without a word", async () => {
    let clock = 1_000_000;
    const p = trackNodePresence(gw, { now: () => clock, staleMs: 15_000 });
    const changes: Array<[string, PresenceChange]> = [];
    p.onChange((id, c) => changes.push([id, c]));
    await gw.flush();
    expect(p.isOnline("n1")).toBe(false);
    send("n1", "hello", hello("n1", { name: "Build Server", telemetry: telemetry({ cpus: 16 }) }));
    await eventually(() => p.isOnline("n1"), "n1 online");
    expect(p.hello("n1")?.name).toBe("Build Server");
    expect(p.telemetry("n1")?.cpus).toBe(16);
    expect(p.lastSeenAt("n1")).toBe(1_000_000);
    expect(changes[0]).toEqual(["n1", "online"]);

    clock += 14_000;
    expect(p.isOnline("n1")).toBe(true);
    send("n1", "heartbeat", { at: clock });
    await eventually(() => p.lastSeenAt("n1") === clock, "heartbeat seen");
    clock += 15_001;
    expect(p.isOnline("n1")).toBe(false);
    // What it said last is kept (the Nodes page shows the last telemetry of an offline node).
    expect(p.telemetry("n1")?.cpus).toBe(16);
    p.stop();
  });

  test("telemetry replaces the last one; context is kept; forget makes a node offline at once", async () => {
    const p = trackNodePresence(gw);
    await gw.flush();
    send("n2", "hello", hello("n2"));
    send("n2", "telemetry", telemetry({ cpus: 2, cpuUsage: 0.9 }));
    send("n2", "context", {
      agentsMd: "# Rules\nuse make",
      skills: [{ name: "deploy", description: "ship it", body: "run ./deploy" }],
      at: 1,
    });
    await eventually(() => p.telemetry("n2")?.cpus === 2 && p.context("n2") !== null, "telemetry and context");
    expect(p.telemetry("n2")?.cpuUsage).toBe(0.9);
    expect(p.context("n2")?.agentsMd).toContain("use make");
    expect(p.known()).toContain("n2");
    p.forget("n2");
    expect(p.isOnline("n2")).toBe(false);
    expect(p.context("n2")).toBeNull();
    p.stop();
  });

  test("malformed messages are ignored: not JSON, wrong shape, a hello naming another node", async () => {
    const p = trackNodePresence(gw);
    await gw.flush();
    send("bad", "hello", "not json");
    send("bad", "heartbeat", { when: "now" });
    send("bad", "telemetry", { cpus: "many" });
    send("bad", "hello", hello("someone-else"));
    send("bad", "context", { agentsMd: 42, skills: [] });
    // A well-formed message after them proves they were all delivered and dropped.
    send("good", "heartbeat", { at: 1 });
    await eventually(() => p.isOnline("good"), "good online");
    expect(p.isOnline("bad")).toBe(false);
    expect(p.known()).not.toContain("bad");
    expect(p.isOnline("someone-else")).toBe(false);
    p.stop();
  });
});
