/**
 * The CLI's NATS user on a real embedded server: it asks (commands, queries) and reads the log,
 * but forging an event, deleting or purging the log, or writing KV is refused by the server —
 * and an install whose CLI creds were minted wide gets narrow ones, the wide key revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createUser, decode, parseCreds, type User } from "@nats-io/jwt";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Status } from "@nats-io/transport-node";
import { EventLog, EVENTS_STREAM, ensureStreams, request, serve, subjects } from "../../../bus/index.ts";
import { connectNats, mintUserJwt } from "../../../bus/server/index.ts";
import { readSeedFile } from "../../../bus/server/nats.auth.ts";
import { CLI_LIMITS, NODE_LIMITS } from "../../../bus/server/nats.grants.ts";
import { loadOrMintCreds } from "../../../bus/server/nats.users.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { sleep } from "./helpers.ts";

const errorsOf = (nc: NatsConnection): string[] => {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) if (s.type === "error") seen.push(String(s.error));
  })();
  return seen;
};

const created = (key: string) => ({ type: "session.created" as const, data: { key, title: "", model: null } });

describe("the CLI's NATS user", () => {
  let nats: TestNats;
  let gw: NatsConnection;
  let cli: NatsConnection;
  let cliErrors: string[];
  let log: EventLog;
  const lastSeq = async () => (await (await jetstreamManager(gw)).streams.info(EVENTS_STREAM)).state.last_seq;

  beforeAll(async () => {
    nats = await startTestNats();
    gw = await nats.connect("gateway");
    await ensureStreams(gw);
    log = await EventLog.open(gw);
    await log.append({ kind: "session", id: "s1", expectedSeq: 0, events: [created("s1")], eventIds: ["s1-created"], now: 1 });
    cli = await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli" });
    cliErrors = errorsOf(cli);
  });
  afterAll(async () => {
    await cli?.close();
    await nats?.stop();
  });

  it("cannot append a forged event: permission violation, nothing stored", async () => {
    const before = await lastSeq();
    cli.publish("evt.session.x", JSON.stringify({ key: "x", title: "forged", model: null }));
    await cli.flush();
    await expect(jetstream(cli).publish("evt.session.x", "forged", { timeout: 2_000 })).rejects.toThrow();
    await sleep(100);
    expect(cliErrors.some((e) => /Permissions Violation for Publish to "evt\.session\.x"/.test(e))).toBe(true);
    expect(await lastSeq()).toBe(before);
  });

  it("cannot delete, purge or change the log, delete a message, add a stream or write KV", async () => {
    const jsm = await jetstreamManager(cli, { timeout: 2_000 });
    const before = await lastSeq();
    const refused = [
      () => jsm.streams.delete(EVENTS_STREAM),
      () => jsm.streams.purge(EVENTS_STREAM),
      () => jsm.streams.deleteMessage(EVENTS_STREAM, 1),
      () => jsm.streams.update(EVENTS_STREAM, { max_msgs: 1 }),
      () => jsm.streams.add({ name: "EVIL", subjects: ["evil.>"] }),
      () => cli.request("$KV.cairn_snapshots.session_s1", "{}", { timeout: 2_000 }),
      () => cli.request("$JS.API.STREAM.MSG.DELETE.CAIRN_EVENTS", JSON.stringify({ seq: 1 }), { timeout: 2_000 }),
    ];
    for (const attempt of refused) await expect(attempt()).rejects.toThrow();
    for (const subject of [
      `$JS.API.STREAM.DELETE.${EVENTS_STREAM}`,
      `$JS.API.STREAM.PURGE.${EVENTS_STREAM}`,
      "$KV.cairn_snapshots.session_s1",
    ]) {
      expect(cliErrors.some((e) => e.includes(`Permissions Violation for Publish to "${subject}"`))).toBe(true);
    }
    const info = await (await jetstreamManager(gw)).streams.info(EVENTS_STREAM);
    expect(info.state.last_seq).toBe(before);
    expect(info.state.messages).toBe(before);
  });

  it("cannot speak for a node or a gateway", async () => {
    for (const subject of ["node.n1.in.exec", "gw.heartbeat", "gw.g1.cmd.session.s1.send", "live.session.s1"]) {
      cli.publish(subject, "{}");
    }
    await cli.flush();
    await sleep(100);
    for (const subject of ["node.n1.in.exec", "gw.heartbeat", "live.session.s1"]) {
      expect(cliErrors.some((e) => e.includes(`Permissions Violation for Publish to "${subject}"`))).toBe(true);
    }
  });

  it("still reads the log (as `events tail` does) and still sends commands and queries", async () => {
    const cliLog = await EventLog.open(cli);
    const last = await cliLog.lastSeq();
    expect(last).toBe(await lastSeq());
    const seen: string[] = [];
    for await (const r of cliLog.read({ fromSeq: 1, untilSeq: last })) if (r.ok) seen.push(r.event.type);
    expect(seen).toEqual(["session.created"]);
    expect(await cliLog.lastSeqOf("session", "s1")).toBe(1);

    const subs = [
      serve(gw, subjects.command("session", "s1", "rename"), (p) => ({ renamed: p })),
      serve(gw, subjects.query("sessions", "list"), () => ({ sessions: [] })),
      serve(gw, subjects.admin("projections", "rebuild"), () => ({ events: 1, ms: 0 })),
    ];
    await gw.flush();
    expect(await request(cli, subjects.command("session", "s1", "rename"), { title: "t" })).toEqual({ renamed: { title: "t" } });
    expect(await request(cli, subjects.query("sessions", "list"), {})).toEqual({ sessions: [] });
    expect(await request(cli, subjects.admin("projections", "rebuild"), {})).toEqual({ events: 1, ms: 0 });
    for (const s of subs) s.unsubscribe();
  });

  it("holds at most CLI_LIMITS.subs subscriptions per connection", async () => {
    const own = await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli-subs" });
    const errors = errorsOf(own);
    // The request mux may already hold one; subscribe well past the cap.
    for (let i = 0; i < CLI_LIMITS.subs + 5; i++) own.subscribe(`live.session.k${i}`);
    await own.flush();
    await sleep(200);
    expect(errors.some((e) => /maximum subscriptions exceeded/i.test(e))).toBe(true);
    await own.close().catch(() => undefined);
    const { uc } = await parseCreds(readFileSync(nats.creds.cli));
    expect(uc.nats).toMatchObject({ subs: CLI_LIMITS.subs, payload: CLI_LIMITS.payload });
  });

  it("node users are minted with per-connection limits", async () => {
    const jwt = await mintUserJwt(nats.server.auth, { name: "node-n1", publicKey: createUser().getPublicKey(), permissions: {} });
    expect(decode<User>(jwt).nats).toMatchObject({ subs: NODE_LIMITS.subs, payload: NODE_LIMITS.payload });
  });
});

describe("an install whose CLI creds were minted with full access", () => {
  let nats: TestNats;
  afterAll(async () => {
    await nats?.stop();
  });

  it("gets narrowed creds on the next start, and the old wide key is revoked", async () => {
    nats = await startTestNats();
    await nats.server.stop();
    // What an older cairn wrote: a `cli` user with no permissions and no limits.
    const { auth } = nats.server;
    const signer = await readSeedFile(auth.account.signingSeedFile, "A");
    rmSync(auth.creds.cli);
    await loadOrMintCreds(auth.creds.cli, "cli", auth.account.publicKey, signer!);
    const wide = join(nats.dataDir, "wide-cli.creds");
    copyFileSync(auth.creds.cli, wide);
    const wideKey = (await parseCreds(readFileSync(wide))).uc.sub;

    await nats.restart();
    const narrow = await parseCreds(readFileSync(nats.creds.cli));
    expect(narrow.uc.sub).not.toBe(wideKey);
    expect(narrow.uc.nats.pub?.allow).toContain("cmd.>");
    expect(decode(nats.server.auth.account.jwt).nats).toHaveProperty(["revocations", wideKey]);
    await expect(connectNats({ url: nats.url, credsFile: wide, name: "wide", timeoutMs: 2_000 })).rejects.toMatchObject({
      code: "unauthorized",
    });

    const cli = await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli" });
    const errors = errorsOf(cli);
    cli.publish("evt.session.x", "forged");
    await cli.flush();
    await sleep(100);
    expect(errors.some((e) => e.includes('Permissions Violation for Publish to "evt.session.x"'))).toBe(true);
    await cli.close();

    // A third start changes nothing: the narrowed creds stay, no new revocation.
    const before = readFileSync(nats.creds.cli, "utf8");
    await nats.restart();
    expect(readFileSync(nats.creds.cli, "utf8")).toBe(before);
  });
});
