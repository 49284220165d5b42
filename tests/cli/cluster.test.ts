/**
 * `cairn cluster init|status` as a user runs it (the real `cli/bin.mjs`): help, JSON output, a
 * re-run that changes nothing, and `status` against servers started from the printed commands.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findFreePort } from "../../bus/server/index.ts";

const BIN = join(import.meta.dirname, "../../cli/bin.mjs");
const cairn = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("node", [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

const dir = mkdtempSync(join(tmpdir(), "cairn-cli-cluster-"));
const servers: ChildProcess[] = [];
afterAll(() => {
  for (const s of servers) s.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("cairn cluster", () => {
  test("--help shows the usage of init and status; a wrong subcommand is a usage error", async () => {
    const help = await cairn(["cluster", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: cairn cluster init <dir>/);
    expect(help.stdout).toMatch(/cairn cluster status <dir>/);
    expect((await cairn(["cluster", "init", "--help"])).stdout).toMatch(/--client-port/);
    expect((await cairn(["--help"])).stdout).toMatch(/cluster init <dir>/);
    const bad = await cairn(["cluster", "start", dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown subcommand 'cluster start'/);
  });

  test("init --json says what it wrote; a re-run without options keeps ports, creds and configs", async () => {
    const ports: number[] = [];
    while (ports.length < 2) {
      const p = await findFreePort();
      // Two free bases with room for three servers each (the OS hands out high, spread ports).
      if (p < 65_000 && !ports.some((q) => Math.abs(q - p) < 3)) ports.push(p);
    }
    const r = await cairn(["cluster", "init", dir, "--json", "--client-port", String(ports[0]), "--cluster-port", String(ports[1])]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.servers.map((s: { url: string }) => s.url)).toEqual([0, 1, 2].map((i) => `nats://127.0.0.1:${ports[0] + i}`));
    expect(out.urls).toBe(out.servers.map((s: { url: string }) => s.url).join(","));
    expect(out.commands.gateways[0]).toContain(`CAIRN_NATS_CREDS=${out.creds.gateway}`);
    const creds = readFileSync(out.creds.gateway, "utf8");
    const conf = readFileSync(out.servers[0].configFile, "utf8");

    const again = await cairn(["cluster", "init", dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`nats://127.0.0.1:${ports[0]}`);
    expect(again.stdout).toMatch(/Start the servers/);
    expect(readFileSync(out.creds.gateway, "utf8")).toBe(creds);
    expect(readFileSync(out.servers[0].configFile, "utf8")).toBe(conf);

    // status: not ready while nothing runs (exit 1), ready once the printed commands run.
    const down = await cairn(["cluster", "status", dir, "--json"]);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout).ready).toBe(false);
    for (const c of out.commands.servers as string[]) {
      const [bin, ...args] = c.split(" ");
      servers.push(spawn(bin, args, { stdio: "ignore" }));
    }
    let status = down;
    // Bounded by time, not tries: on a loaded machine forming a cluster takes a while.
    for (const deadline = Date.now() + 60_000; status.code !== 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      status = await cairn(["cluster", "status", dir, "--json"]);
    }
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.ready).toBe(true);
    expect(new Set(s.servers.map((x: { metaLeader: string }) => x.metaLeader)).size).toBe(1);
  }, 120_000);

  test("a non-loopback host is refused with bad_request (exit 2)", async () => {
    const r = await cairn(["cluster", "init", join(dir, "other"), "--host", "0.0.0.0", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe("bad_request");
  });
});
