/**
 * By hand: `npx tsx bench/cluster.bench.ts [--seconds 10] [--clients 16] [--servers 3]`.
 *
 * Gateways on one NATS cluster (real nats-servers, real gateway processes):
 * - command throughput: `clients` concurrent senders of `cmd.session.<new key>.create` (one
 *   decided command, one appended event each) through the command queue group, for `seconds`,
 *   with 1 gateway and then with 3;
 * - the added latency of a forwarded command: the same command sent straight to its owner
 *   (`gw.<owner>.cmd.…`) and through the queue group, which lands on a gateway that does not own
 *   the session two times in three and is then forwarded: added ≈ (queue − direct) / (2/3).
 */
import { parseArgs } from "node:util";
import { partitionOf } from "../actors/runtime/index.ts";
import { request, subjects } from "../bus/index.ts";
import type { StatusPayload } from "../schemas/index.ts";
import { startGatewayProc, type GatewayProc } from "../tests/fixtures/gateway.ts";
import { startNatsCluster } from "../tests/fixtures/nats-cluster.ts";
import { round, sleep, summarize } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "16" },
    servers: { type: "string", default: "3" },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);

const cluster = await startNatsCluster({ servers: Number(values.servers) });
const env = { CAIRN_NATS_URL: cluster.urls, CAIRN_NATS_CREDS: cluster.creds.gateway };
const gws: GatewayProc[] = [];
const nc = await cluster.connect("cluster-bench");
let n = 0;

async function view() {
  return ((await request(nc, subjects.query("status", "get"), {})) as StatusPayload).cluster;
}
async function balancedOver(count: number) {
  for (let i = 0; i < 200; i++) {
    const v = await view();
    const owned = v?.gateways.map((g) => g.owned.length) ?? [];
    if (owned.length === count && Math.max(...owned) - Math.min(...owned) <= 1 && owned.reduce((a, b) => a + b, 0) === 16) return v;
    await sleep(100);
  }
  throw new Error(`the partitions did not settle over ${count} gateways`);
}

async function throughput(label: string) {
  const deadline = performance.now() + seconds * 1_000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        await request(nc, subjects.command("session", `b${++n}`, "create"), {});
        done++;
      }
    }),
  );
  const rate = done / seconds;
  console.log(`${label}: ${round(rate, 0)} commands/s (${clients} concurrent senders, ${seconds} s)`);
  return rate;
}

try {
  gws.push(await startGatewayProc({ extraEnv: env }));
  await balancedOver(1);
  const one = await throughput("1 gateway ");
  for (let i = 0; i < 2; i++) gws.push(await startGatewayProc({ extraEnv: env }));
  const v = await balancedOver(3);
  const three = await throughput("3 gateways");

  // Latency, one command at a time: straight to the owner vs through the queue group.
  const direct: number[] = [];
  const queued: number[] = [];
  const owners = new Map((v?.gateways ?? []).flatMap((g) => g.owned.map((p) => [p, g.id] as const)));
  for (let i = 0; i < 600; i++) {
    const key = `l${++n}`;
    const owner = owners.get(partitionOf(key));
    const t0 = performance.now();
    if (i % 2 === 0 && owner) {
      await request(nc, subjects.forwardTo(owner, subjects.command("session", key, "create")), {});
      direct.push(performance.now() - t0);
    } else {
      await request(nc, subjects.command("session", key, "create"), {});
      queued.push(performance.now() - t0);
    }
  }
  const d = summarize(direct);
  const q = summarize(queued);
  console.log(
    [
      `straight to the owner: p50 ${round(d.p50)} ms, p90 ${round(d.p90)} ms (${d.n})`,
      `through the queue group (2/3 forwarded): p50 ${round(q.p50)} ms, p90 ${round(q.p90)} ms (${q.n})`,
      `added by a forward, estimated from the means: ${round((q.mean - d.mean) / (2 / 3))} ms`,
      `throughput 1 → 3 gateways: ${round(one, 0)} → ${round(three, 0)} commands/s`,
    ].join("\n"),
  );
} finally {
  await nc.close();
  for (const g of gws) await g.dispose();
  await cluster.stop();
}
