/**
 * Cost of remote access, run by hand (figures are reported, not asserted):
 *
 *   npx tsx bench/auth.bench.ts              # 20 hashes, 50 logins, 2,000 WS calls per client kind
 *   npx tsx bench/auth.bench.ts --calls 10000
 *
 * Measures:
 *  - the password hash (scrypt N=2^15, r=8, p=1) and its verification, in this process;
 *  - the login round trip through a real gateway: POST /api/auth/login from a remote client (right
 *    password, so the guess limit never slows it), scrypt verification in the auth actor, the
 *    session event appended, the cookie back;
 *  - the cost of the scope check per WebSocket call: the same request (`status`) on one socket, from
 *    a local client (owner, no credential) and from a remote client holding an operator.read API key
 *    (credential resolved once at connect, then a Set lookup per call). The difference is the check.
 * Prints a table, then one JSON line.
 */
import { parseArgs } from "node:util";
import { hashPassword, verifyPassword } from "../actors/auth/index.ts";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { connectWs, type WsClient } from "../tests/fixtures/ws-client.ts";
import { Cleanup, cleanUpOnAbort, round, summarize } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    hashes: { type: "string", default: "20" },
    logins: { type: "string", default: "50" },
    calls: { type: "string", default: "2000" },
  },
});
const [hashes, logins, calls] = [Number(values.hashes), Number(values.logins), Number(values.calls)];
const cleanup = new Cleanup();
cleanUpOnAbort(cleanup, 5 * 60_000, (l) => process.stderr.write(`${l}\n`));

const timed = async (n: number, fn: () => Promise<unknown>): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
};
const ms = (xs: number[]) => {
  const s = summarize(xs);
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), mean: round(s.mean) };
};

// 1. The hash, in this process.
const PASSWORD = "correct horse battery staple";
const stored = await hashPassword(PASSWORD);
const hash = ms(await timed(hashes, () => hashPassword(PASSWORD)));
const verify = ms(await timed(hashes, () => verifyPassword(PASSWORD, stored)));

// 2. A real gateway; a forwarding header makes this loopback client a remote one (the edge trusts no proxy by default).
const gw = await startGatewayProc({ model: null });
cleanup.add("gateway", () => gw.dispose());
const REMOTE = { "X-Forwarded-For": "203.0.113.9" };
const code = (JSON.parse((await gw.cli(["auth", "setup-code", "--json"])).stdout) as { code: string }).code;
const post = (path: string, body: unknown) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...REMOTE }, body: JSON.stringify(body) });
if ((await post("/api/auth/setup", { code, password: PASSWORD })).status !== 200) throw new Error("setup failed");
const login = ms(
  await timed(logins, async () => {
    const r = await post("/api/auth/login", { password: PASSWORD });
    if (r.status !== 200) throw new Error(`login answered ${r.status}`);
    await r.arrayBuffer();
  }),
);

// 3. The scope check per call.
const key = (
  JSON.parse((await gw.cli(["auth", "keys", "create", "--label", "bench", "--scopes", "operator.read", "--json"])).stdout) as {
    key: string;
  }
).key;
const wsUrl = `${gw.url.replace(/^http/, "ws")}/ws`;
const open = async (headers: Record<string, string>, auth?: object): Promise<WsClient> => {
  const ws = await connectWs(wsUrl, headers);
  const r = await ws.request("connect", { protocol: 1, client: { name: "bench" }, ...(auth ? { auth } : {}) });
  if (!r.ok) throw new Error(`connect refused: ${JSON.stringify(r.error)}`);
  return ws;
};
const local = await open({});
const keyed = await open(REMOTE, { api_key: key });
const perCall = async (ws: WsClient) => {
  await timed(200, () => ws.request("status", {})); // warm-up
  return ms(await timed(calls, () => ws.request("status", {})));
};
// Interleaved rounds, so drift in machine load falls on both alike.
const rounds = { local: [] as number[], key: [] as number[] };
for (let i = 0; i < 3; i++) {
  rounds.local.push((await perCall(local)).p50);
  rounds.key.push((await perCall(keyed)).p50);
}
await local.close();
await keyed.close();
await cleanup.runAll();

const best = (xs: number[]) => Math.min(...xs);
const rows: [string, string][] = [
  ["password hash (scrypt 2^15,8,1)", `p50 ${hash.p50} ms, p99 ${hash.p99} ms (n=${hash.n})`],
  ["password verify", `p50 ${verify.p50} ms, p99 ${verify.p99} ms`],
  ["login round trip (HTTP, real gateway)", `p50 ${login.p50} ms, p99 ${login.p99} ms (n=${login.n})`],
  ["WS `status` call, local owner", `p50 ${best(rounds.local)} ms (best of 3 × ${calls})`],
  ["WS `status` call, operator.read API key", `p50 ${best(rounds.key)} ms (best of 3 × ${calls})`],
  ["scope check cost per call (difference)", `${round(best(rounds.key) - best(rounds.local), 3)} ms`],
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
process.stdout.write(`${JSON.stringify({ hash, verify, login, ws: rounds, calls })}\n`);
