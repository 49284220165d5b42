/**
 * A compose deployment on a private dockerd (tests/fixtures/docker.ts), for the compose tests
 * and bench/compose.bench.ts: base images from this machine (compose.images.ts), the dependency
 * images cached per lock file (compose.deps.ts), the scripted LLM server, free loopback ports.
 *
 * - single: docker-compose.yml with infra/compose/host-network.yml (the engine has no default
 *   bridge: host networking, loopback only).
 * - cluster: docker-compose.cluster.yml as it is, its one published port included, on a bridge
 *   network of its own (CAIRN_NETWORK) with a private /24 no route on this machine uses; the
 *   scripted LLM listens on that network's gateway address, which is how the containers reach it.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tryStartTestDocker, type TestDocker } from "../fixtures/docker.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { dependencyImages, ENGINE_CLI, type DepsImages } from "./compose.deps.ts";
import { buildBaseImages, imagesSkipReason, type BaseImages } from "./compose.images.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
const COMPOSE = ["/usr/bin/docker-compose", "/usr/local/bin/docker-compose"].find((p) => spawnSync(p, ["version"]).status === 0);

export const composeSkipReason = (): string | undefined => {
  if (!COMPOSE) return "docker-compose is not installed (apt-get install docker-compose; `npm test` as root installs it)";
  if (spawnSync(ENGINE_CLI, ["--version"]).status !== 0) return `${ENGINE_CLI} (docker.io's CLI, with BuildKit built in) is missing`;
  return imagesSkipReason();
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ComposeStack {
  readonly engine: TestDocker;
  readonly images: BaseImages;
  readonly llm: LlmServer;
  readonly uiPort: number;
  readonly natsPort: number;
  readonly image: string;
  /**
   * Builds `image` from the Dockerfile with BuildKit on the cached dependency images (loading
   * them, or building and caching them on a first run); `up` then finds the image and builds nothing.
   */
  build(): Promise<DepsImages & { readonly seconds: { readonly deps: number; readonly image: number } }>;
  /** `docker-compose -p <project> -f <the stack's files> <args>`. */
  compose(args: string[], timeoutMs?: number): Promise<Run>;
  /** The docker CLI against the private engine. */
  docker(args: string[]): Promise<Run>;
  /** Container id of a service (empty when it has none). */
  container(service: string): Promise<string>;
  /** Waits until the service's container reports `healthy` (throws with its logs after `timeoutMs`). */
  waitHealthy(service: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export type ComposeStackResult =
  | { readonly stack: ComposeStack; readonly skip?: undefined }
  | { readonly stack?: undefined; readonly skip: string };

/** A /24 in 10.0.0.0/8 that no address or route of this machine is in (other engines' networks included). */
const freeSubnet = (): string => {
  const used = execFileSync("ip", ["-4", "route", "show", "table", "all"], { encoding: "utf8" });
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
};

export async function startComposeStack(opts: { readonly cluster?: boolean } = {}): Promise<ComposeStackResult> {
  const reason = composeSkipReason();
  if (reason) return { skip: reason };
  const started = await tryStartTestDocker();
  if (!started.engine) return { skip: started.skip };
  const engine = started.engine;
  const dockerEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DOCKER_HOST: `unix://${engine.socketPath}`,
  };
  // Asynchronous: a build takes minutes, and a blocked event loop would starve vitest's worker RPC.
  const runner = (cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => {
        stderr += `\n(killed after ${timeoutMs} ms)`;
        child.kill("SIGKILL");
      }, timeoutMs);
      child.once("error", (e) => (stderr += `\n${e.message}`));
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  const docker = (args: string[]) => runner("docker", args, dockerEnv, 120_000);
  const engineCli = (args: string[], timeoutMs: number) => runner(ENGINE_CLI, args, { ...dockerEnv, DOCKER_BUILDKIT: "1" }, timeoutMs);
  const importer = (args: string[], input?: Buffer): string =>
    execFileSync("docker", args, { env: dockerEnv, input, encoding: "utf8", maxBuffer: 2 ** 28 });
  const work = mkdtempSync(join(tmpdir(), "cairn-compose-"));
  const project = `cairncompose${process.pid}${opts.cluster ? "c" : ""}`;
  let llm: LlmServer | undefined;
  try {
    const images = buildBaseImages(importer);
    // The cluster's own network: a bridge with a gateway address on this machine for the LLM.
    const subnet = opts.cluster ? freeSubnet() : undefined;
    if (subnet) importer(["network", "create", "--subnet", `${subnet}.0/24`, "--gateway", `${subnet}.1`, project]);
    llm = await startLlmServer({ host: subnet ? `${subnet}.1` : undefined });
    const [uiPort, natsPort] = [await freePort(), await freePort()];
    // Provider settings reach the gateway the way a user's keys do: through the env file.
    const envFile = join(work, "cairn.env");
    writeFileSync(envFile, `OPENAI_API_KEY=sk-test-key\nOPENAI_BASE_URL=${llm.url}/v1\nCAIRN_MODEL=openai/test-model\n`);
    const image = "cairn-test/cairn:compose";
    const composeEnv = {
      ...dockerEnv,
      CAIRN_NODE_IMAGE: images.runtime,
      CAIRN_NODE_BUILD_IMAGE: images.build,
      CAIRN_NATS_IMAGE: images.nats,
      CAIRN_IMAGE: image,
      CAIRN_ENV_FILE: envFile,
      CAIRN_UI_PORT: String(uiPort),
      CAIRN_NATS_PORT: String(natsPort),
      CAIRN_HAPROXY_IMAGE: images.lb,
      CAIRN_NETWORK: project,
    };
    const files = opts.cluster
      ? ["-f", join(ROOT, "docker-compose.cluster.yml")]
      : ["-f", join(ROOT, "docker-compose.yml"), "-f", join(ROOT, "infra", "compose", "host-network.yml")];
    const compose = (args: string[], timeoutMs = 120_000) => runner(COMPOSE!, ["-p", project, ...files, ...args], composeEnv, timeoutMs);
    const container = async (service: string) => (await compose(["ps", "-q", service])).stdout.trim();
    const llmServer = llm;
    const stack: ComposeStack = {
      engine,
      images,
      llm: llmServer,
      uiPort,
      natsPort,
      image,
      compose,
      docker,
      container,
      async build() {
        const t0 = performance.now();
        const deps = await dependencyImages(engineCli, ROOT, images);
        const t1 = performance.now();
        const args = { NODE_BUILD_IMAGE: images.build, NODE_IMAGE: images.runtime, DEPS_IMAGE: deps.deps, MODULES_IMAGE: deps.modules };
        const built = await engineCli(
          [
            "build",
            "--progress",
            "plain",
            "--network",
            "host",
            ...Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
            "-t",
            image,
            ROOT,
          ],
          1_800_000,
        );
        if (built.code !== 0) throw new Error(`building ${image} failed:\n${built.stderr.slice(-4000)}`);
        const s = (a: number, b: number) => Math.round((b - a) / 100) / 10;
        return { ...deps, seconds: { deps: s(t0, t1), image: s(t1, performance.now()) } };
      },
      async waitHealthy(service, timeoutMs = 120_000) {
        const until = Date.now() + timeoutMs;
        let status = "";
        while (Date.now() < until) {
          const id = await container(service);
          status = id ? (await docker(["inspect", "-f", "{{.State.Health.Status}}", id])).stdout.trim() : "no container";
          if (status === "healthy") return;
          await new Promise((r) => setTimeout(r, 250));
        }
        const logs = await compose(["logs", "--no-color", "--tail", "40"]);
        throw new Error(`${service} is not healthy after ${timeoutMs} ms (${status}):\n${logs.stdout}${logs.stderr}`);
      },
      async stop() {
        // Stopping the private engine stops its containers, and its data root (volumes included)
        // is deleted with it. A bridge network's interface outlives the engine, though: its
        // containers go first (`down`), then the network.
        if (subnet) {
          await compose(["down", "--timeout", "10"], 300_000);
          await docker(["network", "rm", project]);
        }
        await llmServer.close();
        await engine.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
    return { stack };
  } catch (e) {
    await llm?.close();
    if (opts.cluster) spawnSync("docker", ["network", "rm", project], { env: dockerEnv, stdio: "ignore" }); // its interface outlives the engine
    await engine.stop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}
