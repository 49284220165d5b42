/**
 * `docker compose up` for real: docker-compose.yml (+ infra/compose/host-network.yml) on a private
 * dockerd, the image built from the repository's Dockerfile on base images made from this
 * machine (no registry here), NATS from a stand-in for the official image with cairn's
 * operator/JWT config written by the one-shot init service. A chat goes through the scripted LLM;
 * a restart of the NATS container is survived; `down` then `up` keeps the session.
 * One stack per file. The image build's npm ci runs once per lock file (compose.deps.ts caches
 * its images between runs); what remains is the sources' build, about a minute on a quiet machine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, composeSkipReason, startComposeStack, type ComposeStack } from "./compose.stack.ts";
import { spawnSync } from "node:child_process";

const skip = composeSkipReason() ?? (process.getuid?.() !== 0 ? "the compose test starts a private dockerd, which needs root" : undefined);
let stack: ComposeStack;
let skipped: string | undefined;

const chat = (text: string) => stack.compose(["exec", "-T", "cairn", "cairn", "chat", "-s", "compose", text], 120_000);
const messages = async (): Promise<number> => {
  const r = await stack.compose(["exec", "-T", "cairn", "cairn", "sessions", "show", "compose", "--json"], 60_000);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!).session.messageCount;
};
const health = async (): Promise<number> => (await fetch(`http://127.0.0.1:${stack.uiPort}/health`)).status;

describe("the compose files are valid for docker-compose 1.29", () => {
  const config = (files: string[]) =>
    spawnSync("docker-compose", [...files.flatMap((f) => ["-f", join(ROOT, f)]), "config", "-q"], { cwd: ROOT, encoding: "utf8" });
  it.skipIf(composeSkipReason() !== undefined)(
    "docker-compose.yml, with each override, and docker-compose.cluster.yml",
    () => {
      for (const files of [
        ["docker-compose.yml"],
        ["docker-compose.yml", "docker-compose.override.yml"],
        ["docker-compose.yml", "infra/compose/host-network.yml"],
        ["docker-compose.yml", "docker-compose.override.yml", "infra/compose/docker-sandbox.yml"],
        ["docker-compose.cluster.yml"],
      ]) {
        const r = config(files);
        expect(r.status, `${files.join(" + ")}: ${r.stderr}`).toBe(0);
      }
    },
    180_000,
  ); // docker-compose 1.29 takes 1-3 s to start, more on a loaded machine
});

describe.skipIf(skip)("docker compose up: NATS + cairn built from the Dockerfile", () => {
  beforeAll(async () => {
    const started = await startComposeStack();
    if (!started.stack) {
      skipped = started.skip;
      return;
    }
    stack = started.stack;
    await stack.build();
    const up = await stack.compose(["up", "-d", "--no-build"], 300_000);
    expect(up.code, up.stderr).toBe(0);
    await stack.waitHealthy("cairn");
  }, 2_400_000); // a first run on a new lock file builds the dependency images: npm ci, minutes
  afterAll(async () => {
    await stack?.stop();
  }, 300_000); // the engine stops its containers and its data root (image layers) is removed

  it("runs the gateway as uid 1000 on external NATS, healthy, and a chat goes through the scripted LLM", async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const id = await stack.container("cairn");
    expect((await stack.docker(["inspect", "-f", "{{.Config.User}}", id])).stdout.trim()).toBe("node");
    // The container's main process, seen from the host: its real uid and its command line.
    const pid = (await stack.docker(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain("gateway");
    // The init service ran to completion and the gateway joined the nats container (not an embedded server).
    const initId = (await stack.compose(["ps", "-a", "-q", "nats-init"])).stdout.trim();
    const init = await stack.docker(["inspect", "-f", "{{.State.ExitCode}}", initId]);
    expect(init.stdout.trim()).toBe("0");
    const logs = (await stack.compose(["logs", "--no-color", "cairn"])).stdout;
    expect(logs).toContain(`nats://127.0.0.1:${stack.natsPort}`);
    expect(logs).toContain("external");
    expect(logs).toMatch(/sandbox: chose \w+/);
    expect(await health()).toBe(200);

    const r = await chat("hello from compose");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("hello from compose"); // the scripted server echoes
    expect(stack.llm.requests.length).toBeGreaterThan(0);
    expect(await messages()).toBe(2);
  }, 180_000);

  it("survives a restart of the NATS container", async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const nats = await stack.container("nats");
    const restarted = await stack.compose(["restart", "nats"]);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(await stack.container("nats")).toBe(nats);
    // The gateway reconnects by itself: wait until `cairn status` says the bus is back, then chat once.
    let status = await stack.compose(["exec", "-T", "cairn", "cairn", "status"], 60_000);
    for (let i = 0; i < 60 && status.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 500));
      status = await stack.compose(["exec", "-T", "cairn", "cairn", "status"], 60_000);
    }
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const r = await chat("after the nats restart");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("after the nats restart");
    expect(await messages()).toBe(4);
  }, 180_000);

  it("keeps every session across docker compose down and up", async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const down = await stack.compose(["down", "--timeout", "20"]);
    expect(down.code, down.stderr).toBe(0);
    expect(await stack.container("cairn")).toBe("");
    const up = await stack.compose(["up", "-d", "--no-build"], 300_000);
    expect(up.code, up.stderr).toBe(0);
    await stack.waitHealthy("cairn");
    expect(await messages()).toBe(4);
    const r = await chat("after down and up");
    expect(r.code, r.stderr).toBe(0);
    expect(await messages()).toBe(6);
  }, 300_000);
});
