import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, startEmbeddedNats } from "../../../bus/server/index.ts";
import { isCairnError } from "../../../schemas/index.ts";
import { startTestNats } from "../../fixtures/nats.ts";
import { alive, cleanup, closing, sleep, started, tempDataDir, waitFor } from "./helpers.ts";

describe("embedded nats-server lifecycle", () => {
  it("keeps its identity across stop and start: old creds still connect, streams survive", async () => {
    const dataDir = tempDataDir();
    const first = await startEmbeddedNats({ dataDir });
    cleanup(() => first.stop()); // idempotent: a no-op once the test has stopped it
    const saved = join(dataDir, "saved-gateway.creds");
    copyFileSync(first.creds.gateway, saved);
    const nc1 = await connectNats({ url: first.url, credsFile: saved, name: "t1" });
    await (await jetstreamManager(nc1)).streams.add({ name: "KEEP", subjects: ["keep.>"] });
    await jetstream(nc1).publish("keep.x", "kept");
    await nc1.close();
    await first.stop();
    expect(existsSync(first.auth.paths.pidFile)).toBe(false);
    expect(alive(first.pid)).toBe(false);

    const second = await started(dataDir);
    expect(second.auth.operator.publicKey).toBe(first.auth.operator.publicKey);
    // Its port too: chosen below the kernel's ephemeral range, so nothing was handed it meanwhile.
    expect(second.url).toBe(first.url);
    const [ephemeralLow] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    expect(Number(new URL(first.url).port)).toBeLessThan(ephemeralLow);
    const nc2 = closing(await connectNats({ url: second.url, credsFile: saved, name: "t2" }));
    const msg = await (await jetstreamManager(nc2)).streams.getMessage("KEEP", { seq: 1 });
    expect(msg?.string()).toBe("kept");
  });

  it("refuses a second supervisor on the same data dir in one process", async () => {
    const dataDir = tempDataDir();
    await started(dataDir);
    await expect(startEmbeddedNats({ dataDir })).rejects.toSatisfy((e) => isCairnError(e) && e.code === "unavailable");
  });

  it("restarts a SIGKILLed server on the same port; a reconnecting client resumes publishing", async () => {
    const lines: string[] = [];
    const nats = await startTestNats({ log: (l) => lines.push(l) });
    cleanup(() => nats.stop());
    const nc = await nats.connect();
    await (await jetstreamManager(nc)).streams.add({ name: "CRASH", subjects: ["crash.>"] });
    const js = jetstream(nc);
    await js.publish("crash.a", "before");

    const oldPid = nats.server.pid;
    nats.kill();
    await waitFor("the restart", () => lines.some((l) => l.includes("nats-server restarted")));
    expect(alive(nats.server.pid)).toBe(true);
    expect(alive(oldPid)).toBe(false);
    expect(nats.server.restarts).toBe(1);
    expect(lines.some((l) => /died unexpectedly .*SIGKILL.*restarting in 250 ms/.test(l))).toBe(true);
    expect(readFileSync(nats.server.auth.paths.pidFile, "utf8").split("\n")[0]).toBe(String(nats.server.pid));

    // The same connection, never re-created by the test, gets its JetStream publish through.
    let ack: { seq: number } | undefined;
    await waitFor(
      "a publish after the restart",
      async () => {
        ack = await js.publish("crash.b", "after", { timeout: 1_000 }).catch(() => undefined);
        return ack !== undefined;
      },
      20_000,
    );
    expect(ack!.seq).toBe(2);
    expect(nc.isClosed()).toBe(false);
  });

  const spawnHolder = async (dataDir: string, mode: "hold" | "exit") => {
    const holder = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "hold-embedded-nats.ts"), dataDir, mode], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup(() => void holder.kill("SIGKILL"));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: holder.stdout! }).once("line", resolve);
      holder.once("exit", (c) => reject(new Error(`holder exited ${c}`)));
    });
    const server = JSON.parse(line) as { pid: number; url: string };
    cleanup(() => void (alive(server.pid) && process.kill(server.pid, "SIGKILL")));
    const exited = new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r(null) : holder.once("exit", r)));
    return { holder, server, exited };
  };

  it.each([
    ["found through the pid file", false],
    ["found by scanning /proc when the pid file is gone", true],
  ])("stops a nats-server left behind by a killed gateway process (%s), then starts fresh", async (_, dropPidFile) => {
    const dataDir = tempDataDir();
    const { holder, server: orphan, exited } = await spawnHolder(dataDir, "hold");

    // While the gateway holding it lives, the data dir is refused, and nothing is killed.
    await expect(startEmbeddedNats({ dataDir })).rejects.toThrow(/belongs to a running cairn process/);
    expect(alive(orphan.pid)).toBe(true);

    holder.kill("SIGKILL");
    await exited;
    await sleep(100);
    expect(alive(orphan.pid)).toBe(true); // kill -9 of the parent leaves the child running
    if (dropPidFile) rmSync(join(dataDir, "nats", "nats-server.pid"));

    const lines: string[] = [];
    const fresh = await startEmbeddedNats({ dataDir, log: (l) => lines.push(l) });
    cleanup(() => fresh.stop());
    expect(alive(orphan.pid)).toBe(false);
    expect(fresh.pid).not.toBe(orphan.pid);
    expect(lines.some((l) => l.includes(`leftover nats-server (pid ${orphan.pid})`))).toBe(true);
    closing(await connectNats({ url: fresh.url, credsFile: fresh.creds.gateway, name: "t" }));
  });

  it("takes the server down when its process exits without calling stop()", async () => {
    const dataDir = tempDataDir();
    const { server, exited } = await spawnHolder(dataDir, "exit");
    await exited;
    await waitFor("the server to exit", () => !alive(server.pid), 5_000);
  });

  it("backs off exponentially while the server keeps dying", async () => {
    const lines: string[] = [];
    const nats = await startTestNats({ log: (l) => lines.push(l) });
    cleanup(() => nats.stop());
    for (let i = 1; i <= 3; i++) {
      const pid = nats.server.pid;
      process.kill(pid, "SIGKILL");
      await waitFor(`restart #${i}`, () => nats.server.restarts === i && nats.server.pid !== pid);
    }
    const delays = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
    expect(delays).toEqual([250, 500, 1000]);
    await waitFor("a connection after the restarts", async () => {
      const nc = await nats.connect().catch(() => undefined);
      return nc !== undefined;
    });
  });

  it("never signals a pid-file process that is not this data dir's nats-server", async () => {
    const dataDir = tempDataDir();
    const first = await startEmbeddedNats({ dataDir });
    await first.stop();
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    cleanup(() => void bystander.kill("SIGKILL"));
    writeFileSync(first.auth.paths.pidFile, `${bystander.pid}\n`);
    await started(dataDir);
    expect(alive(bystander.pid!)).toBe(true);
  });
});
