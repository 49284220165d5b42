/**
 * Remote access through a real gateway process and the real `cairn auth` CLI: a scoped API key is
 * refused outside its scopes on every WS method, revoking it closes its connection at once, the
 * setup code and the password log a browser in with a cookie (HttpOnly, SameSite=Strict), wrong
 * passwords hit 429 with Retry-After, and a credential in the URL is never accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methodScopes, type Method } from "../../schemas/index.ts";
import { connectWs } from "../fixtures/ws-client.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

let gw: GatewayProc;
beforeAll(async () => {
  gw = await startGatewayProc({ model: null });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
});

/** A forwarding header makes a loopback peer non-local: the edge treats it as a remote client. */
const REMOTE = { "X-Forwarded-For": "203.0.113.7" };
const wsUrl = () => `${gw.url.replace(/^http/, "ws")}/ws`;
const cli = async (args: string[]) => {
  const r = await gw.cli(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...REMOTE, ...headers },
    body: JSON.stringify(body),
  });

describe("cairn auth and the edge", () => {
  it("a scoped key is refused outside its scopes for every method, and revoking it closes its connection", async () => {
    const key = JSON.parse(await cli(["auth", "keys", "create", "--label", "monitor", "--scopes", "operator.read", "--json"])) as {
      id: string;
      key: string;
    };
    const ws = await connectWs(wsUrl(), REMOTE);
    expect(await ws.request("connect", { protocol: 1, client: { name: "t" }, auth: { api_key: key.key } })).toMatchObject({ ok: true });
    for (const [method, scope] of Object.entries(methodScopes) as [Method, string][]) {
      // One request per method is more than the connection's burst (60): wait out its refill.
      let r = await ws.request(method, {});
      while (r.error?.code === "rate_limited") {
        await new Promise((done) => setTimeout(done, 100));
        r = await ws.request(method, {});
      }
      if (scope === "operator.read") expect(r.error?.code, method).not.toBe("forbidden");
      else expect(r, method).toMatchObject({ ok: false, error: { code: "forbidden" } });
      if (scope !== "operator.read") expect(r.error?.message, method).toContain(scope);
    }
    const listed = JSON.parse(await cli(["auth", "keys", "list", "--json"])) as { id: string; revokedAt: number | null }[];
    expect(listed.find((k) => k.id === key.id)?.revokedAt).toBeNull();
    await cli(["auth", "keys", "revoke", key.id]);
    expect((await ws.closed).code).toBe(1008);
    // Once the read model has the revocation, the key opens nothing any more.
    await expect
      .poll(
        async () =>
          (JSON.parse(await cli(["auth", "keys", "list", "--json"])) as { id: string; revokedAt: number | null }[]).find(
            (k) => k.id === key.id,
          )?.revokedAt,
      )
      .not.toBeNull();
    const again = await connectWs(wsUrl(), REMOTE);
    expect(await again.request("connect", { protocol: 1, client: { name: "t" }, auth: { api_key: key.key } })).toMatchObject({
      ok: false,
      error: { code: "unauthorized" },
    });
  });

  it("setup code, then password login: a cookie that opens the WebSocket; wrong passwords hit 429", async () => {
    const status = await (await fetch(`${gw.url}/api/auth/status`, { headers: REMOTE })).json();
    expect(status).toMatchObject({ authRequired: true, authenticated: false, setupRequired: true });
    const code = (JSON.parse(await cli(["auth", "setup-code", "--json"])) as { code: string }).code;
    const setup = await post("/api/auth/setup", { code, password: "a long enough password" });
    expect(setup.status).toBe(200);
    const cookie = setup.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^cairn_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(";")[0];
    const ws = await connectWs(wsUrl(), { ...REMOTE, Cookie: session });
    expect(await ws.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({ ok: true });
    expect(await ws.request("sessions.list", {})).toMatchObject({ ok: true });
    // The token in a URL is not a credential.
    const token = session.split("=")[1];
    const inUrl = await fetch(`${gw.url}/metrics?token=${token}&api_key=${token}`, { headers: REMOTE });
    expect(inUrl.status).toBe(401);
    // A form from another site is refused before any password is checked.
    expect((await post("/api/auth/login", { password: "x" }, { Origin: "https://evil.example" })).status).toBe(403);
    // Untrusted forwarding headers do not change the address guesses count against (this test's own peer).
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await post("/api/auth/login", { password: `wrong ${i}` }, { "X-Forwarded-For": `203.0.113.${i}` })).status);
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThanOrEqual(5);
    expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
    const limited = await post("/api/auth/login", { password: "a long enough password" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // A login already made is not a guess: it still opens a socket from the limited address.
    const still = await connectWs(wsUrl(), { ...REMOTE, Cookie: session });
    expect(await still.request("connect", { protocol: 1, client: { name: "t" } })).toMatchObject({ ok: true });
    // Logging out everywhere ends the open connection too.
    await cli(["auth", "logout-all"]);
    expect((await ws.closed).code).toBe(1008);
  });
});
