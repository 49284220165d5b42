/** The node and pairing-window aggregates' decisions (pure): window, signatures, replay, trust on first use. */
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { nodeFingerprint } from "../../../bus/server/node.identity.ts";
import { describe, expect, test } from "vitest";
import { MISMATCH_ALERT_EVERY_MS, fingerprintOf, nodeSpec, pairingSpec } from "../../../actors/node/index.ts";
import { PAIRING_CLOCK_SKEW_MS, pairingRequestText, type NewEvent, type PairingRequest } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const NOW = 5000; // the `given` helper decides at 5000
let nonces = 0;
const signed = (kp: KeyPair, over: Partial<PairingRequest> = {}): PairingRequest => {
  const base = {
    nodeId: "build",
    name: "Build Server",
    publicKey: kp.getPublicKey(),
    hostname: "build.lan",
    platform: "linux",
    workingDir: "/srv/work",
    timestamp: NOW,
    nonce: `nonce-${String(++nonces).padStart(12, "0")}`,
    ...over,
  };
  const signature = Buffer.from(kp.sign(new TextEncoder().encode(pairingRequestText(base)))).toString("base64url");
  return { ...base, signature, ...(over.signature ? { signature: over.signature } : {}) };
};
const open = { windowUntil: NOW + 60_000, address: "10.0.0.7" };
const closed = { windowUntil: null, address: "10.0.0.7" };
const requestedEvent = (kp: KeyPair, nonce = "nonce-recorded-0001"): NewEvent => ({
  type: "node.pairing_requested",
  data: {
    requestId: "req1",
    name: "Build Server",
    publicKey: kp.getPublicKey(),
    fingerprint: fingerprintOf(kp.getPublicKey()),
    address: null,
    hostname: "h",
    platform: "linux",
    workingDir: "/w",
    nonce,
  },
});

describe("pairing requests", () => {
  const kp = createUser();

  test("open window + valid signature: recorded as pending with the fingerprint, address and a request id", () => {
    const d = given(nodeSpec, "build", []).when("request", { request: signed(kp), ...open });
    expect(d.events.map((e) => e.type)).toEqual(["node.pairing_requested"]);
    expect(d.events[0].data).toMatchObject({
      requestId: "id1",
      publicKey: kp.getPublicKey(),
      address: "10.0.0.7",
      workingDir: "/srv/work",
    });
    expect(d.reply).toEqual({ requestId: "id1", status: "pending", fingerprint: fingerprintOf(kp.getPublicKey()) });
  });

  test("the fingerprint the gateway records is the one the node prints (SHA256 over the raw key, unpadded base64)", () => {
    expect(fingerprintOf(kp.getPublicKey())).toBe(nodeFingerprint(kp.getPublicKey()));
    expect(fingerprintOf(kp.getPublicKey())).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test("window closed, or past its deadline: pairing_closed and nothing recorded", () => {
    const g = given(nodeSpec, "build", []);
    expect(() => g.when("request", { request: signed(kp), ...closed })).toThrow(/pairing is closed/);
    expect(() => g.when("request", { request: signed(kp), windowUntil: NOW, address: null })).toThrow(
      expect.objectContaining({ code: "pairing_closed" }),
    );
  });

  test("a forged signature (another key signed it, or a field was changed after signing) is unauthorized", () => {
    const g = given(nodeSpec, "build", []);
    const other = createUser();
    const forged = { ...signed(other), publicKey: kp.getPublicKey() };
    expect(() => g.when("request", { request: forged, ...open })).toThrow(expect.objectContaining({ code: "unauthorized" }));
    const tampered = { ...signed(kp), workingDir: "/" };
    expect(() => g.when("request", { request: tampered, ...open })).toThrow(expect.objectContaining({ code: "unauthorized" }));
  });

  test("a stale or future timestamp is refused (bad_request), even with a good signature", () => {
    const g = given(nodeSpec, "build", []);
    expect(() => g.when("request", { request: signed(kp, { timestamp: NOW - PAIRING_CLOCK_SKEW_MS - 1 }), ...open })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
    expect(() => g.when("request", { request: signed(kp, { timestamp: NOW + PAIRING_CLOCK_SKEW_MS + 1 }), ...open })).toThrow(/ahead/);
  });

  test("a replayed request (nonce already recorded) is refused", () => {
    const req = signed(kp, { nonce: "nonce-recorded-0001" });
    const g = given(nodeSpec, "build", [requestedEvent(kp), { type: "node.rejected", data: { requestId: "req1", by: "cli" } }]);
    expect(() => g.when("request", { request: req, ...open })).toThrow(/replayed/);
  });

  test("the same key asking again while pending or approved gets its request id back, nothing recorded (even with the window closed)", () => {
    const pending = given(nodeSpec, "build", [requestedEvent(kp)]).when("request", { request: signed(kp), ...closed });
    expect(pending.events).toEqual([]);
    expect(pending.reply).toMatchObject({ requestId: "req1", status: "pending" });
    const approved = given(nodeSpec, "build", [requestedEvent(kp), { type: "node.approved", data: { requestId: "req1", by: "cli" } }]).when(
      "request",
      { request: signed(kp), ...closed },
    );
    expect(approved.reply).toMatchObject({ requestId: "req1", status: "approved" });
  });

  test("another key for a known node: node_key_mismatch, an alert recorded — at most once a minute", () => {
    const intruder = createUser();
    const g = given(nodeSpec, "build", [requestedEvent(kp), { type: "node.approved", data: { requestId: "req1", by: "cli" } }]);
    const d = g.when("request", { request: signed(intruder), ...open });
    expect(d.events.map((e) => e.type)).toEqual(["node.key_mismatch"]);
    expect(d.events[0].data).toMatchObject({ publicKey: intruder.getPublicKey(), address: "10.0.0.7" });
    expect(d.reply).toMatchObject({ refused: { code: "node_key_mismatch" } });
    const mismatch = { type: "node.key_mismatch" as const, data: { publicKey: intruder.getPublicKey(), fingerprint: "x", address: null } };
    // given() stamps events at 1000+i; the decision runs at 5000, well within a minute.
    const again = given(nodeSpec, "build", [requestedEvent(kp), mismatch]).when("request", { request: signed(intruder), ...open });
    expect(again.events).toEqual([]);
    expect(again.reply).toMatchObject({ refused: { code: "node_key_mismatch" } });
    expect(MISMATCH_ALERT_EVERY_MS).toBeGreaterThan(5000);
  });

  test("a rejected or revoked node may ask again (with the window open), even with a new key", () => {
    for (const end of [
      [{ type: "node.rejected", data: { requestId: "req1", by: "cli" } }],
      [
        { type: "node.approved", data: { requestId: "req1", by: "cli" } },
        { type: "node.revoked", data: { by: "cli" } },
      ],
    ] as NewEvent[][]) {
      const d = given(nodeSpec, "build", [requestedEvent(kp), ...end]).when("request", { request: signed(createUser()), ...open });
      expect(d.events.map((e) => e.type)).toEqual(["node.pairing_requested"]);
      expect(d.reply).toMatchObject({ status: "pending" });
    }
  });
});

describe("approve, reject, revoke", () => {
  const kp = createUser();
  const pending = () => given(nodeSpec, "build", [requestedEvent(kp)]);

  test("approve by request id; approving again is a no-op; rejecting it afterwards is refused", () => {
    const d = pending().when("approve", { requestId: "req1", by: "cli" });
    expect(d.events).toEqual([{ type: "node.approved", data: { requestId: "req1", by: "cli" } }]);
    expect(d.reply).toMatchObject({ nodeId: "build", status: "approved" });
    const approved = given(nodeSpec, "build", [requestedEvent(kp), d.events[0]]);
    expect(approved.when("approve", { requestId: "req1", by: "web" }).events).toEqual([]);
    expect(() => approved.when("reject", { requestId: "req1", by: "web" })).toThrow(/already approved/);
  });

  test("an unknown request id: node_not_found pointing at cairn node pending", () => {
    expect(() => pending().when("approve", { requestId: "nope", by: "cli" })).toThrow(/no pending request 'nope'; see cairn node pending/);
    expect(() => pending().when("reject", { requestId: "nope", by: "cli" })).toThrow(expect.objectContaining({ code: "node_not_found" }));
  });

  test("reject records who; revoke of an approved node asks for the bus revocation (an effect, run once)", () => {
    expect(pending().when("reject", { requestId: "req1", by: "web" }).events).toEqual([
      { type: "node.rejected", data: { requestId: "req1", by: "web" } },
    ]);
    const approved = given(nodeSpec, "build", [requestedEvent(kp), { type: "node.approved", data: { requestId: "req1", by: "cli" } }]);
    const r = approved.when("revoke", { by: "cli" });
    expect(r.events).toEqual([{ type: "node.revoked", data: { by: "cli" } }]);
    expect(r.actions).toEqual([{ type: "revoked", params: { nodeId: "build", publicKey: kp.getPublicKey(), at: 5000 } }]);
    expect(() => given(nodeSpec, "ghost", []).when("revoke", { by: "cli" })).toThrow(expect.objectContaining({ code: "node_not_found" }));
  });
});

describe("the pairing window", () => {
  test("closed by default; open records a deadline; close records; closing a closed window writes nothing", () => {
    const g = given(pairingSpec, "window", []);
    expect(g.snapshot.context.open).toBe(false);
    const o = g.when("open", { minutes: 10, by: "cli" });
    expect(o.events).toEqual([{ type: "pairing.opened", data: { until: 5000 + 600_000, by: "cli" } }]);
    expect(o.reply).toEqual({ open: true, until: 605_000 });
    expect(g.when("close", { by: "cli" }).events).toEqual([]);
    const opened = given(pairingSpec, "window", [o.events[0]]);
    expect(opened.when("close", { by: "web" }).events).toEqual([{ type: "pairing.closed", data: { by: "web", reason: "closed" } }]);
  });

  test("past its deadline it is closed (expire records it once; before the deadline expire is a no-op)", () => {
    const past = given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 4000, by: "cli" } }]);
    const e = past.when("expire", {});
    expect(e.events).toEqual([{ type: "pairing.closed", data: { by: "gateway", reason: "expired" } }]);
    expect(e.reply).toEqual({ open: false, until: null });
    const future = given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 9000, by: "cli" } }]);
    expect(future.when("expire", {}).events).toEqual([]);
  });

  test("the deadline is armed as an effect when the window opens, re-armed (the later one) when it opens again", () => {
    const closeAt = (actions: Array<{ type: string; params: unknown }>) => actions.filter((a) => a.type === "closeAt");
    const o = given(pairingSpec, "window", []).when("open", { minutes: 10, by: "cli" });
    expect(closeAt(o.actions)).toEqual([{ type: "closeAt", params: { until: 605_000 } }]);
    const again = given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 9000, by: "cli" } }]).when("open", {
      minutes: 1,
      by: "web",
    });
    expect(closeAt(again.actions)).toEqual([{ type: "closeAt", params: { until: 65_000 } }]);
    const closed = given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 9000, by: "cli" } }]).when("close", {
      by: "web",
    });
    expect(closeAt(closed.actions)).toEqual([]);
  });

  test("a host taking the window over re-arms the deadline from its context, only while it is open", () => {
    const closeAt = (actions: Array<{ type: string; params: unknown }>) => actions.filter((a) => a.type === "closeAt");
    const open = given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 9000, by: "cli" } }]);
    expect(open.snapshot.value).toBe("open");
    expect(closeAt(open.hydrated())).toEqual([{ type: "closeAt", params: { until: 9000 } }]);
    // Past its deadline but not yet recorded: re-armed all the same, so the close gets recorded.
    expect(closeAt(given(pairingSpec, "window", [{ type: "pairing.opened", data: { until: 10, by: "cli" } }]).hydrated())).toEqual([
      { type: "closeAt", params: { until: 10 } },
    ]);
    const shut = given(pairingSpec, "window", [
      { type: "pairing.opened", data: { until: 9000, by: "cli" } },
      { type: "pairing.closed", data: { by: "web", reason: "closed" } },
    ]);
    expect(shut.snapshot.value).toBe("closed");
    expect(closeAt(shut.hydrated())).toEqual([]);
    expect(closeAt(given(pairingSpec, "window", []).hydrated())).toEqual([]);
  });
});
