/**
 * Cron jobs on two real gateways connected to one real nats-server (of a 3-server JetStream
 * cluster: the fixture cannot run a lone server in cluster mode) (issue 13 on the many-gateways
 * ownership): each job is armed only by the gateway that owns its partition, every slot is claimed
 * by an event with the job's expected sequence and a slot-derived id, and a gateway writes only
 * while its lease is fresh. So with both alive, across a kill -9 of one (the other takes its
 * partitions after the lease) and its return (it takes its share back), each slot is claimed once,
 * runs once and ends once; no slot between the first and the last decided is lost. Both gateways
 * sync the heartbeat from the same cairn.toml: it is created once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { partitionOf, routeKeyOf } from "../../actors/runtime/index.ts";
import { request, subjects } from "../../bus/index.ts";
import type { StatusPayload } from "../../schemas/index.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startNatsCluster, type NatsClusterFixture } from "../fixtures/nats-cluster.ts";
import { cleanupAll, expectSaneLog, readEvents, sleep, startLlm, waitUntil, type LoggedEvent } from "./chaos.helpers.ts";
import { checkCronSlots } from "./cron.slots.ts";

let nats: NatsClusterFixture;
const dirs: string[] = [];
const gateways: GatewayProc[] = [];

beforeAll(async () => {
  // The fixture's servers run as a JetStream cluster (a lone server there refuses cluster mode);
  // both gateways connect to the same one of them.
  nats = await startNatsCluster({ servers: 3 });
}, 60_000);
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.dispose();
  await cleanupAll();
}, 60_000);
afterAll(async () => {
  await nats?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

async function view() {
  const nc = await nats.connect("cron-two-gw-test");
  try {
    return ((await request(nc, subjects.query("status", "get"), {})) as StatusPayload).cluster ?? null;
  } finally {
    await nc.close();
  }
}

const gatewayIdOf = (gw: GatewayProc) => readFileSync(join(gw.dataDir, "gateway-id"), "utf8").trim();
describe("chaos: cron on two gateways and one nats-server", () => {
  it("each slot runs once while both run, across a kill -9 of one and its return; the heartbeat is created once", async () => {
    const llm = await startLlm();
    const config = tmp("cairn-cron2-config-");
    writeFileSync(join(config, "cairn.toml"), '[heartbeat]\nevery = "1h"\n');
    const env = {
      CAIRN_NATS_URL: nats.serverUrls[0],
      CAIRN_NATS_CREDS: nats.creds.gateway,
      CAIRN_WORKSPACES_DIR: tmp("cairn-cron2-ws-"),
      CAIRN_CONFIG_DIR: config,
    };
    const a = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: env });
    gateways.push(a);
    const b = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: env });
    gateways.push(b);
    const gws = await waitUntil(
      "two gateways to share the partitions",
      async () => {
        const gs = (await view())?.gateways ?? [];
        return gs.length === 2 && gs.every((g) => g.owned.length === 8) ? gs : null;
      },
      20_000,
      200,
    );
    // Two jobs in A's partitions and two in B's, so both gateways fire slots.
    const owned = (id: string) => new Set(gws.find((g) => g.id === id)?.owned);
    const [ofA, ofB] = [owned(gatewayIdOf(a)), owned(gatewayIdOf(b))];
    const names = Array.from({ length: 200 }, (_, i) => `tw${i}`);
    const part = (n: string) => partitionOf(routeKeyOf("cron", n, undefined));
    const jobs = [...names.filter((n) => ofA.has(part(n))).slice(0, 2), ...names.filter((n) => ofB.has(part(n))).slice(0, 2)];
    expect(jobs).toHaveLength(4);
    for (const [i, name] of jobs.entries()) {
      // Added through either gateway: the command is routed to the owner.
      const r = await (i % 2 ? a : b).cli(["cron", "add", "--name", name, "--every", `${1000 + 300 * i}ms`, "--prompt", "tick"]);
      expect(r.stderr).toBe("");
    }
    await sleep(3000);
    await a.kill("SIGKILL");
    await sleep(4000); // B takes A's partitions after the lease and runs (or skips, per run_once) A's jobs' slots
    await a.restart();
    await sleep(3000);
    for (const name of jobs) expect((await b.cli(["cron", "disable", name])).code).toBe(0);

    let events: LoggedEvent[] = [];
    await waitUntil(
      "every claimed slot to have an outcome",
      async () => {
        events = await readEvents(b);
        const claimed = events.filter((e) => e.type === "cron.slot.claimed").length;
        const ended = events.filter((e) => /^cron\.run\.(completed|failed|timed_out)$/.test(e.type)).length;
        return claimed > 0 && claimed === ended;
      },
      30_000,
      500,
    );
    expectSaneLog(events);
    for (const name of jobs) {
      const c = checkCronSlots(events, name);
      expect(c.problems).toEqual([]);
      // Every job ran in each phase: ~10 s of 1-1.9 s slots, less a lease of takeover.
      expect(c.claimed).toBeGreaterThanOrEqual(4);
    }
    const heartbeat = events.filter((e) => e.kind === "cron" && e.id === "heartbeat");
    expect(heartbeat.map((e) => e.type)).toEqual(["cron.job.created"]);
    expect(heartbeat[0].data).toMatchObject({ system: true, schedule: { kind: "every", everyMs: 3_600_000 } });
    const list = await a.cli(["cron", "list"]);
    expect(list.stdout).toMatch(/heartbeat \(system\)/);
  }, 180_000);
});
