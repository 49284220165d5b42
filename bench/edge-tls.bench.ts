/**
 * The edge's TLS cost, run by hand (timings are reported, never asserted):
 *
 *   npx tsx bench/edge-tls.bench.ts [rounds]     # default 300 per case
 *
 * On each transport, with a real nats-server answering `/health`'s status query: a fresh
 * connection per request (TCP + TLS 1.3 handshake + GET /health) and requests on one kept-alive
 * TLS connection, against the same over plain HTTP. Also the cost of making a local CA and a
 * server certificate (first start) and of checking existing ones (every start).
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCa } from "../bus/edge/tls/local.ca.ts";
import { edgeTransports, startHarness } from "../tests/bus/edge/edge.harness.ts";

const rounds = Number(process.argv[2] ?? 300);

const once = (secure: boolean, port: number, agent: HttpAgent | false, ca?: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const send = secure ? httpsRequest : httpRequest;
    const req = send({ host: "127.0.0.1", port, path: "/health", agent, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });

const percentiles = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
  return `p50 ${at(0.5)} ms  p95 ${at(0.95)} ms  p99 ${at(0.99)} ms`;
};

const measure = async (label: string, fn: () => Promise<void>) => {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  console.log(`  ${label.padEnd(34)} ${percentiles(ms)}`);
};

const dir = mkdtempSync(join(tmpdir(), "cairn-tls-bench-"));
try {
  let t = performance.now();
  const ca = await ensureLocalCa(dir, { hosts: ["localhost", "127.0.0.1", "::1"] });
  console.log(`local CA + server certificate made in ${(performance.now() - t).toFixed(1)} ms (first start)`);
  t = performance.now();
  await ensureLocalCa(dir, { hosts: ["localhost", "127.0.0.1", "::1"] });
  console.log(`existing CA + certificate checked in ${(performance.now() - t).toFixed(1)} ms (every start)`);

  for (const transport of edgeTransports) {
    console.log(`${transport} (${rounds} requests per case):`);
    for (const secure of [false, true]) {
      const h = await startHarness({ transport, ...(secure ? { tls: { certFile: ca.certFile, keyFile: ca.keyFile } } : {}) });
      const stop = h.serveStatus();
      try {
        const keep = secure
          ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ca.caPem })
          : new HttpAgent({ keepAlive: true, maxSockets: 1 });
        const name = secure ? "https" : "http";
        await measure(`${name}: new connection + /health`, () => once(secure, h.edge.port, false, ca.caPem));
        await measure(`${name}: kept-alive /health`, () => once(secure, h.edge.port, keep, ca.caPem));
        keep.destroy();
      } finally {
        stop();
        await h.stop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
