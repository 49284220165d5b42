/**
 * The compose deployment's figures, run by hand (never by the test suite; reported, not asserted):
 *
 *   npx tsx bench/compose.bench.ts            # N=3 up/down cycles
 *   npx tsx bench/compose.bench.ts --n 5
 *
 * On a private dockerd with the same locally made base images as tests/infra/compose.test.ts
 * (host networking, loopback only): the image build time, the cairn image's size, `up -d` to the
 * container's health check reporting `healthy` and to the first `GET /health` 200 (the health
 * check runs every 5 s, so `healthy` is quantised by it), and each container's idle RSS (VmRSS of
 * its main process, read from /proc on the host, after 20 s idle). Prints a table, then one JSON line.
 *
 *   npx tsx bench/compose.bench.ts --cluster  # docker-compose.cluster.yml instead: up → the last
 *                                             # gateway healthy, and each of its 7 containers' idle RSS
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startComposeStack } from "../tests/infra/compose.stack.ts";
import { median, sleep } from "./lib/util.ts";

const { values } = parseArgs({
  options: { n: { type: "string", default: "3" }, cluster: { type: "boolean" }, help: { type: "boolean", short: "h" } },
});
if (values.help) {
  process.stdout.write("usage: npx tsx bench/compose.bench.ts [--n 3] [--cluster]\n");
  process.exit(0);
}
const N = Math.max(1, Number(values.n));
const log = (s: string) => process.stderr.write(`${s}\n`);

const started = await startComposeStack({ cluster: values.cluster });
if (!started.stack) {
  log(`compose bench skipped: ${started.skip}`);
  process.exit(0);
}
const stack = started.stack;
const must = (r: { code: number | null; stdout: string; stderr: string }, what: string) => {
  if (r.code !== 0) throw new Error(`${what} failed:\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return r;
};
const rssMb = async (service: string): Promise<number> => {
  const id = await stack.container(service);
  const pid = (await stack.docker(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return Math.round(kb / 102.4) / 10;
};

/** The cluster: one `up`, the time until the last gateway is healthy, every container's idle RSS. */
const cluster = async (): Promise<void> => {
  const up = performance.now();
  must(await stack.compose(["up", "-d", "--no-build"], 600_000), "up");
  await stack.waitHealthy("gw3", 600_000); // gw3 starts once gw2 is healthy, gw2 once gw1 is
  const healthyMs = Math.round(performance.now() - up);
  await sleep(20_000);
  const services = ["nats1", "nats2", "nats3", "gw1", "gw2", "gw3", "lb"];
  const rss = Object.fromEntries(await Promise.all(services.map(async (s) => [s, await rssMb(s)] as const)));
  process.stdout.write(
    [
      `${"up -d → gw3 healthy".padEnd(28)} ${String(healthyMs).padStart(8)} ms`,
      ...services.map((s) => `${`${s} idle RSS`.padEnd(28)} ${String(rss[s]).padStart(8)} MB`),
      `${JSON.stringify({ healthyMs, rss })}`,
      "",
    ].join("\n"),
  );
};

try {
  // The dependency images come from the cache when this lock file was built before (compose.deps.ts).
  const built = await stack.build();
  const buildS = built.seconds.image;
  const depsS = built.seconds.deps;
  const size = Number((await stack.docker(["image", "inspect", "-f", "{{.Size}}", stack.image])).stdout.trim());
  const imageMb = Math.round(size / 1e5) / 10;
  log(`dependency images (${built.source}) in ${depsS} s, image built in ${buildS} s; image ${imageMb} MB`);
  if (values.cluster) await cluster();
  else await single(buildS, depsS, built.source, imageMb);
} finally {
  await stack.stop();
}

async function single(buildS: number, depsS: number, deps: string, imageMb: number): Promise<void> {
  const toHealthy: number[] = [];
  const toHealth200: number[] = [];
  const gatewayRss: number[] = [];
  const natsRss: number[] = [];
  for (let i = 0; i < N; i++) {
    const up = performance.now();
    must(await stack.compose(["up", "-d", "--no-build"], 300_000), "up");
    let ok200 = 0;
    const healthy = stack.waitHealthy("cairn").then(() => performance.now() - up);
    while (!ok200) {
      try {
        if ((await fetch(`http://127.0.0.1:${stack.uiPort}/health`)).ok) ok200 = performance.now() - up;
      } catch {
        // not listening yet
      }
      if (!ok200) await sleep(50);
    }
    toHealth200.push(ok200);
    toHealthy.push(await healthy);
    await sleep(20_000);
    gatewayRss.push(await rssMb("cairn"));
    natsRss.push(await rssMb("nats"));
    log(`cycle ${i + 1}: /health 200 after ${Math.round(ok200)} ms, healthy after ${Math.round(toHealthy[i])} ms`);
    must(await stack.compose(["down", "--timeout", "20"]), "down");
  }
  const row = (name: string, xs: number[], unit: string) =>
    `${name.padEnd(28)} ${String(Math.round(median(xs) * 10) / 10).padStart(8)} ${unit}`;
  process.stdout.write(
    [
      `${"figure".padEnd(28)} ${"median".padStart(8)}   (n=${N})`,
      `${`dependency images (${deps})`.padEnd(28)} ${String(depsS).padStart(8)} s`,
      `${"image build (sources)".padEnd(28)} ${String(buildS).padStart(8)} s`,
      `${"cairn image size".padEnd(28)} ${String(imageMb).padStart(8)} MB`,
      row("up -d → /health 200", toHealth200, "ms"),
      row("up -d → healthy", toHealthy, "ms"),
      row("gateway idle RSS", gatewayRss, "MB"),
      row("nats-server idle RSS", natsRss, "MB"),
      "",
    ].join("\n"),
  );
  process.stdout.write(`${JSON.stringify({ n: N, deps, depsS, buildS, imageMb, toHealth200, toHealthy, gatewayRss, natsRss })}\n`);
}
