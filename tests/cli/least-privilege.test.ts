/**
 * Least privilege on the machine and the bus, through a real gateway process and the real `cairn`
 * CLI: the data dir is private (0700 dirs, 0600 databases and creds), an older install is
 * tightened at the next start and says so once, and the CLI's creds ask and read but cannot write
 * the log — while `cairn events tail`, queries, commands and admin calls still work.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { EVENTS_STREAM } from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import { readSeedFile } from "../../bus/server/nats.auth.ts";
import { loadOrMintCreds } from "../../bus/server/nats.users.ts";
import { jsonLines, startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

const mode = (p: string) => statSync(p).mode & 0o777;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let gw: GatewayProc;
beforeAll(async () => {
  gw = await startGatewayProc({ model: null });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
});

const runtime = () => JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string; cliCreds: string };
const creds = (name: string) => join(gw.dataDir, "nats", "creds", `${name}.creds`);
const db = () => join(gw.dataDir, "projections", "projections.db");

/** Every dir under the data dir 0700 and every file without group/other bits (nats-server's own store and resolver aside: their dirs are 0700). */
const expectPrivate = (dir: string) => {
  expect(mode(dir), dir).toBe(0o700);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (p === join(gw.dataDir, "nats", "store") || p === join(gw.dataDir, "nats", "resolver")) expect(mode(p), p).toBe(0o700);
      else expectPrivate(p);
    } else expect(mode(p) & 0o077, p).toBe(0);
  }
};

describe("a fresh install", () => {
  it("keeps its data private: dirs 0700; databases with -wal/-shm, creds, keys, logs 0600", async () => {
    // A write through the gateway so SQLite has its -wal/-shm.
    await gw.cli(["sessions", "list", "--json"]);
    expectPrivate(gw.dataDir);
    expect(mode(gw.configDir)).toBe(0o700);
    for (const f of [db(), `${db()}-wal`, `${db()}-shm`, creds("cli"), creds("gateway"), join(gw.dataDir, "logs", "gateway.log")]) {
      expect(mode(f), f).toBe(0o600);
    }
    expect(gw.output()).not.toMatch(/tightened permissions/);
  });

  it("the CLI's creds cannot forge an event or delete the log; tail, queries, commands and admin calls work", async () => {
    const info = runtime();
    const cli = await connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "test-cli" });
    const errors: string[] = [];
    void (async () => {
      for await (const s of cli.status()) if (s.type === "error") errors.push(String(s.error));
    })();
    const before = await gw.cli(["events", "tail", "--json"]);
    expect(before.code).toBe(0);
    const seqs = () => jsonLines<{ seq: number }>(before.stdout).map((e) => e.seq);

    cli.publish("evt.session.forged", JSON.stringify({ key: "forged", title: "", model: null }));
    await expect((await jetstreamManager(cli, { timeout: 2_000 })).streams.delete(EVENTS_STREAM)).rejects.toThrow();
    await expect((await jetstreamManager(cli, { timeout: 2_000 })).streams.purge(EVENTS_STREAM)).rejects.toThrow();
    await cli.flush();
    await sleep(100);
    expect(errors.some((e) => e.includes('Permissions Violation for Publish to "evt.session.forged"'))).toBe(true);
    expect(errors.some((e) => e.includes(`Permissions Violation for Publish to "$JS.API.STREAM.DELETE.${EVENTS_STREAM}"`))).toBe(true);
    await cli.close();

    const after = await gw.cli(["events", "tail", "--json"]);
    expect(after.code).toBe(0);
    expect(jsonLines<{ seq: number; id: string }>(after.stdout).map((e) => e.seq)).toEqual(seqs());
    expect(after.stdout).not.toContain("forged");

    expect((await gw.cli(["status", "--json"])).code).toBe(0); // gw.<id>.status
    expect((await gw.cli(["sessions", "list", "--json"])).code).toBe(0); // q.>
    expect((await gw.cli(["projections", "rebuild", "--json"])).code).toBe(0); // admin.>, progress to its inbox
    // cmd.>: reaches the session's owner, which answers that there is no such session.
    const del = await gw.cli(["sessions", "delete", "nosuch", "--json"]);
    expect(`${del.stdout}${del.stderr}`).toMatch(/session_not_found|not found/i);
    expect(`${del.stdout}${del.stderr}`).not.toMatch(/permission/i);
  });
});

describe("an install from before", () => {
  it("is tightened at the next start, once; its wide CLI creds replaced and revoked", async () => {
    await gw.kill("SIGTERM");
    // What an older cairn left: readable dirs and database, and a CLI user with full access.
    chmodSync(gw.dataDir, 0o755);
    chmodSync(join(gw.dataDir, "projections"), 0o755);
    chmodSync(db(), 0o644);
    chmodSync(join(gw.dataDir, "nats", "creds"), 0o755);
    chmodSync(gw.configDir, 0o755);
    const signer = await readSeedFile(join(gw.dataDir, "nats", "keys", "cairn-signing.nk"), "A");
    const accountPk = JSON.parse(
      Buffer.from(readFileSync(join(gw.dataDir, "nats", "jwt", "cairn-account.jwt"), "utf8").split(".")[1], "base64url").toString(),
    ).sub as string;
    rmSync(creds("cli"));
    await loadOrMintCreds(creds("cli"), "cli", accountPk, signer!);
    const wide = readFileSync(creds("cli"), "utf8");

    await gw.restart();
    expect(gw.output().match(/tightened permissions/g)).toHaveLength(1);
    expectPrivate(gw.dataDir);
    expect(mode(gw.configDir)).toBe(0o700);
    expect(readFileSync(creds("cli"), "utf8")).not.toBe(wide);
    expect((await gw.cli(["events", "tail", "--json"])).code).toBe(0);

    await gw.kill("SIGTERM");
    await gw.restart();
    expect(gw.output().match(/tightened permissions/g)).toHaveLength(1);
  }, 60_000);
});
