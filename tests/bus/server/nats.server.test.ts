import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, findNatsServerBinary, startEmbeddedNats } from "../../../bus/server/index.ts";
import { isCairnError } from "../../../schemas/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { closing, tempDataDir } from "./helpers.ts";

describe("embedded nats-server (shared instance)", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("serves JetStream to the application account", async () => {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "T_JS", subjects: ["tjs.>"] });
    const js = jetstream(nc);
    await js.publish("tjs.a", "one");
    await js.publish("tjs.b", "two");
    const msg = await jsm.streams.getMessage("T_JS", { seq: 2 });
    expect(msg?.string()).toBe("two");
    expect(nc.info?.version).toBe(nats.server.version);
  });

  it("refuses a connection without creds", async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 2_000 })).rejects.toThrow(/Authorization/i);
  });

  it("connectNats maps rejected creds to unauthorized", async () => {
    const dir = tempDataDir();
    const other = await startEmbeddedNats({ dataDir: dir });
    await other.stop(); // only its identity is needed: creds of another operator
    await expect(connectNats({ url: nats.url, credsFile: other.creds.gateway, name: "t" })).rejects.toSatisfy(
      (e) => isCairnError(e) && e.code === "unauthorized",
    );
  });

  it("lets the cli creds in and listens on loopback only", async () => {
    const nc = closing(await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "cli" }));
    expect(nc.info?.host).toBe("127.0.0.1");
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
  });

  it("writes a config nats-server itself accepts", () => {
    const r = spawnSync(findNatsServerBinary(), ["-t", "-c", nats.server.auth.paths.configFile], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/is valid/);
  });
});
