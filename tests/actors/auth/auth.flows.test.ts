import { describe, expect, test } from "vitest";
import { initialTransition } from "xstate";
import { authMachine, authSpec, createAuthFlows, type AuthCommand } from "../../../actors/auth/index.ts";
import { fold } from "../../../actors/runtime/index.ts";
import { isCairnError, type EventType } from "../../../schemas/index.ts";

/**
 * The auth actor's ceremonies against its real machine and decide: every command goes through
 * `authSpec.decide` and its events are folded, as the host does (minus the log).
 */
const harness = () => {
  let now = 1_000_000;
  let [snapshot] = initialTransition(authMachine, {} as never);
  const events: { type: EventType; data: unknown }[] = [];
  const execute = async (command: AuthCommand) => {
    const d = authSpec.decide(snapshot, command, { now, newId: () => "x" });
    for (const e of d.events) events.push(e);
    snapshot = fold(
      authMachine,
      snapshot,
      d.events.map((e, i) => ({ ...e, seq: events.length + i, time: now }) as never),
    ).snapshot;
    return d.reply;
  };
  const flows = createAuthFlows({ execute, read: async () => snapshot.context, sessionTtlMs: 60_000, now: () => now });
  return { flows, events, ctx: () => snapshot.context, advance: (ms: number) => (now += ms) };
};
const from = { address: "192.0.2.9", client: "test" };
const code = async (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e) => (isCairnError(e) ? e.code : String(e)),
  );

describe("auth flows", () => {
  test("first-time setup: the code works once, sets the password, and the log holds only its hash", async () => {
    const h = harness();
    const { code: setupCode } = (await h.flows.run("setup_code", { by: "test" })) as { code: string };
    expect(await code(h.flows.run("setup", { code: "WRONG-CODE1", password: "correct horse", ...from }))).toBe("unauthorized");
    const login = (await h.flows.run("setup", { code: setupCode.toLowerCase(), password: "correct horse", ...from })) as { token: string };
    expect(login.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Spent, and a credential now exists: setup is closed for good.
    expect(await code(h.flows.run("setup", { code: setupCode, ...from }))).toBe("setup_closed");
    expect(await code(h.flows.run("setup_code", { by: "test" }))).toBe("setup_closed");
    const log = JSON.stringify(h.events);
    expect(log).not.toContain("correct horse");
    expect(log).not.toContain(login.token);
    expect(h.events.map((e) => e.type)).toEqual(["auth.login_failed", "auth.password_set", "auth.login_succeeded"]);
  });

  test("password login: a wrong password is recorded as a failure, the right one opens a session that can be revoked", async () => {
    const h = harness();
    const { code: c } = (await h.flows.run("setup_code", { by: "t" })) as { code: string };
    await h.flows.run("setup", { code: c, password: "hunter2hunter2", ...from });
    expect(await code(h.flows.run("login", { password: "hunter3hunter3", ...from }))).toBe("unauthorized");
    const s = (await h.flows.run("login", { password: "hunter2hunter2", ...from })) as { sessionId: string };
    expect(Object.keys(h.ctx().sessions)).toContain(s.sessionId);
    await h.flows.run("sessions_revoke", { id: s.sessionId, by: "t" });
    expect(Object.keys(h.ctx().sessions)).not.toContain(s.sessionId);
    await h.flows.run("sessions_revoke_all", { by: "t" });
    expect(h.ctx().sessions).toEqual({});
  });

  test("changing the password from a remote session needs the current one; a local caller may reset it", async () => {
    const h = harness();
    const { code: c } = (await h.flows.run("setup_code", { by: "t" })) as { code: string };
    await h.flows.run("setup", { code: c, password: "first-password", ...from });
    expect(await code(h.flows.run("password_set", { password: "second-password", local: false, by: "t" }))).toBe("unauthorized");
    expect(await code(h.flows.run("password_set", { password: "second-password", current: "first-password", local: false, by: "t" }))).toBe(
      "ok",
    );
    expect(await code(h.flows.run("password_set", { password: "third-password", local: true, by: "cli" }))).toBe("ok");
    expect(await code(h.flows.run("login", { password: "third-password", ...from }))).toBe("ok");
  });

  test("API keys: full access by default, shown once, stored as a hash, revocable", async () => {
    const h = harness();
    const full = (await h.flows.run("keys_create", { label: "ci", by: "t" })) as { id: string; key: string; scopes: string[] };
    expect(full.key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(full.scopes).toEqual(["operator.admin"]);
    const read = (await h.flows.run("keys_create", { label: "mon", scopes: ["operator.read"], by: "t" })) as { scopes: string[] };
    expect(read.scopes).toEqual(["operator.read"]);
    expect(JSON.stringify(h.events)).not.toContain(full.key);
    expect(await h.flows.run("keys_revoke", { id: full.id, by: "t" })).toEqual({ id: full.id, revoked: true });
    expect(h.ctx().keys[full.id].revoked).toBe(true);
    expect(await code(h.flows.run("keys_revoke", { id: "nope", by: "t" }))).toBe("not_found");
  });

  test("a passkey ceremony with a challenge this gateway never issued is refused", async () => {
    const h = harness();
    const verify = h.flows.run("passkey_register_verify", {
      rpId: "cairn.test",
      origin: "http://cairn.test",
      response: { id: "abc", rawId: "abc", type: "public-key", response: { clientDataJSON: "e30", attestationObject: "oA" } },
      by: "t",
    });
    expect(await code(verify)).toBe("unauthorized");
    expect(await code(h.flows.run("passkey_login_options", { rpId: "cairn.test" }))).toBe("unauthorized");
  });
});
