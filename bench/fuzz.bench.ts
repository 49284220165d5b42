/**
 * The edge fuzz at volume, run by hand (figures reported, not asserted; a failure is a finding):
 *
 *   npx tsx --expose-gc bench/fuzz.bench.ts                      # 100,000 cases on node:http + ws
 *   npx tsx --expose-gc bench/fuzz.bench.ts --cases 20000 --transport uws
 *
 * A real edge on a real embedded nats-server, in this process (as in tests/bus/edge/edge.fuzz.test.ts):
 * half the cases are WS frames on one connection, half HTTP requests (well-formed, plus 1 in 20
 * malformed sent in batches of 25). Every answer must be typed, the edge must never crash. Reports
 * cases/s and the RSS of this process (the edge, and fast-check's own garbage) and of nats-server
 * before and after, after a GC when --expose-gc is given.
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { rawGet, startHarness } from "../tests/bus/edge/edge.harness.ts";
import { checkHttpAnswer, httpCase, malformedHttpCase, rssMb, sendRaw, wsCase, wsRoundTrip } from "../tests/bus/edge/edge.fuzz.ts";
import type { TransportName } from "../bus/edge/index.ts";
import { round } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "100000" },
    transport: { type: "string", default: "node" },
    seed: { type: "string" },
  },
});
const total = Number(values.cases);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const gc = (globalThis as { gc?: () => void }).gc;

const h = await startHarness({
  transport: values.transport as TransportName,
  rateLimit: { ratePerSec: 1e9, burst: 1e9 },
  requestTimeoutMs: 2_000,
});
const stopStatus = h.serveStatus();
const natsPid = h.nats.server.pid;
const memory = async () => {
  gc?.();
  return { edge: round(await rssMb(), 1), nats: round(await rssMb(natsPid), 1), heap: round(process.memoryUsage().heapUsed / 2 ** 20, 1) };
};

try {
  const wsRuns = Math.floor(total / 2);
  const malformedBatches = Math.floor(total / 2 / 20 / 25);
  const httpRuns = total - wsRuns - malformedBatches * 25;
  // Warm up (JIT, first subscriptions, the status responder) so "before" is a steady state.
  let c = await h.connected();
  for (const k of fc.sample(wsCase, { numRuns: 500, seed })) if ((await wsRoundTrip(c, k)) === "closed") c = await h.connected();
  const before = await memory();
  const t0 = performance.now();

  let reconnects = 0;
  await fc.assert(
    fc.asyncProperty(wsCase, async (k) => {
      if ((await wsRoundTrip(c, k)) === "closed") {
        reconnects++;
        c = await h.connected();
      }
    }),
    { numRuns: wsRuns, seed, endOnFailure: true },
  );
  const tWs = performance.now();
  const afterWs = await memory();

  await fc.assert(
    fc.asyncProperty(httpCase, async (k) => checkHttpAnswer(await sendRaw(h.edge.port, k), k)),
    { numRuns: httpRuns, seed, endOnFailure: true },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(malformedHttpCase, { minLength: 25, maxLength: 25 }), async (batch) => {
      const answers = await Promise.all(batch.map((k) => sendRaw(h.edge.port, k)));
      for (const [i, a] of answers.entries()) checkHttpAnswer(a, batch[i]);
    }),
    { numRuns: malformedBatches, seed, endOnFailure: true },
  );
  const tHttp = performance.now();
  const after = await memory();
  const health = await rawGet(h.edge.port, "/health");

  const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
  const out = [
    `edge fuzz on ${values.transport} (seed ${seed}${gc ? ", RSS after GC" : ", no --expose-gc: RSS includes uncollected garbage"})`,
    `  WS frames      ${wsRuns} cases in ${round((tWs - t0) / 1000, 1)} s: ${rate(wsRuns, tWs - t0)} cases/s (${reconnects} reconnects after not-UTF-8 text frames)`,
    `  HTTP requests  ${httpRuns} well-formed + ${malformedBatches * 25} malformed in ${round((tHttp - tWs) / 1000, 1)} s: ${rate(httpRuns + malformedBatches * 25, tHttp - tWs)} cases/s`,
    `  all            ${total} cases in ${round((tHttp - t0) / 1000, 1)} s: ${rate(total, tHttp - t0)} cases/s, every answer typed, no crash`,
    `  edge RSS       ${before.edge} MB before, ${afterWs.edge} MB after WS, ${after.edge} MB after all (JS heap ${before.heap} -> ${after.heap} MB)`,
    `  nats-server    ${before.nats} MB before, ${after.nats} MB after`,
    `  /health        ${health.status} after the run`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  stopStatus();
  await h.stop();
}
