/**
 * Sandbox backend benchmark, run by hand (never by the test suite; figures are reported, not
 * asserted):
 *
 *   npx tsx bench/sandbox.bench.ts                    # N=20 per figure, every backend that works here
 *   npx tsx bench/sandbox.bench.ts --n 50 --socket /var/run/docker.sock
 *
 * Per backend: cold start (a new sandbox → its first `true` finished: for docker that includes
 * creating and starting the session's container) and per-command latency (`true` on a warm
 * sandbox). Docker uses `--socket`, else the engine `detectSandboxBackends` finds, else (as root,
 * with dockerd and busybox-static installed) a private dockerd like the tests'. Prints a table
 * with median and p95, then one JSON line with every number.
 */
import * as fs from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { createSandbox, detectSandboxBackends, type Sandbox, type SandboxBackendName } from "../actors/sandbox/index.ts";
import { tryStartTestDocker, type TestDocker } from "../tests/fixtures/docker.ts";
import { percentile, round } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "20" },
    socket: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/sandbox.bench.ts [--n 20] [--socket /path/docker.sock]\n");
  process.exit(0);
}
const N = Math.max(2, Number(values.n));
const log = (s: string) => process.stderr.write(`${s}\n`);
const workspace = fs.mkdtempSync(path.join(tmpdir(), "cairn-sbx-bench-"));
let privateEngine: TestDocker | undefined;
const cleanup = async () => {
  await privateEngine?.stop().catch(() => {});
  fs.rmSync(workspace, { recursive: true, force: true });
};
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));

const detected = await detectSandboxBackends(values.socket ? { socketPath: values.socket } : {});
let socketPath = values.socket;
const backends: SandboxBackendName[] = detected.available.filter((b) => b !== "docker");
if (detected.available.includes("docker")) {
  backends.unshift("docker");
} else {
  log(`docker: ${detected.reasons.docker}; trying a private dockerd…`);
  const started = await tryStartTestDocker();
  if (started.engine) {
    privateEngine = started.engine;
    socketPath = started.engine.socketPath;
    backends.unshift("docker");
    log(`docker: private dockerd (${started.engine.storageDriver}) at ${socketPath}`);
  } else log(`docker: skipped (${started.skip})`);
}

const make = (backend: SandboxBackendName): Sandbox =>
  createSandbox({
    backend,
    workspace,
    outputDir: path.join(workspace, ".cairn", "outputs"),
    ...(backend === "docker" && socketPath ? { socketPath } : {}),
  });
const trueCmd = { command: "true", timeoutMs: 30_000, maxOutputBytes: 4096 };

interface Row {
  backend: SandboxBackendName;
  coldMs: { median: number; p95: number };
  perCommandMs: { median: number; p95: number };
}
const stats = (xs: number[]) => ({ median: round(percentile(xs, 50), 1), p95: round(percentile(xs, 95), 1) });

const rows: Row[] = [];
try {
  for (const backend of backends) {
    log(`${backend}: ${N} cold starts, ${N} warm commands…`);
    const cold: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const s = make(backend);
      const r = await s.exec(trueCmd);
      cold.push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error(`${backend}: true exited ${r.exitCode}: ${r.stderr}`);
      await s.dispose();
    }
    const s = make(backend);
    await s.exec(trueCmd); // warm-up (and, for docker, the container)
    const warm: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await s.exec(trueCmd);
      warm.push(performance.now() - t0);
    }
    await s.dispose();
    rows.push({ backend, coldMs: stats(cold), perCommandMs: stats(warm) });
  }
} finally {
  await cleanup();
}

const pad = (s: string, n: number) => s.padEnd(n);
process.stdout.write(
  `\nsandbox backends, N=${N} (${cpus().length} cores, load ${loadavg()
    .map((x) => round(x))
    .join(" ")})\n`,
);
process.stdout.write(`${pad("backend", 12)}${pad("cold median", 14)}${pad("cold p95", 12)}${pad("cmd median", 13)}cmd p95\n`);
for (const r of rows) {
  process.stdout.write(
    `${pad(r.backend, 12)}${pad(`${r.coldMs.median} ms`, 14)}${pad(`${r.coldMs.p95} ms`, 12)}${pad(`${r.perCommandMs.median} ms`, 13)}${r.perCommandMs.p95} ms\n`,
  );
}
process.stdout.write(`${JSON.stringify({ n: N, rows, reasons: detected.reasons })}\n`);
