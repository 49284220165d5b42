/**
 * The cluster configs `cairn cluster init` writes: accepted by the real nats-server 2.9.10
 * (`nats-server -t`), secrets 0600 in 0700 folders, each server with its own name, ports, resolver
 * and store, routes to the others only and guarded by the route password; a re-run keeps the identity.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { findNatsServerBinary, initNatsCluster, readClusterManifest } from "../../../bus/server/index.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "cairn-cluster-conf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;
const options = { dir, host: "127.0.0.1", clientPorts: [14222, 14223, 14224], clusterPorts: [16222, 16223, 16224] };

describe("initNatsCluster", () => {
  test("writes one valid nats-server config per server; secrets 0600, folders 0700", async () => {
    const c = await initNatsCluster(options);
    expect(c.urls).toBe("nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224");
    const bin = findNatsServerBinary();
    for (const [i, s] of c.servers.entries()) {
      const { stdout, stderr } = await run(bin, ["-t", "-c", s.configFile]);
      expect(`${stdout}${stderr}`).toMatch(/is valid/);
      expect(mode(s.configFile)).toBe(0o600);
      expect(mode(s.dir)).toBe(0o700);
      const conf = readFileSync(s.configFile, "utf8");
      expect(conf).toContain(`server_name: "cairn-n${i + 1}"`);
      expect(conf).toContain(`listen: "127.0.0.1:${options.clientPorts[i]}"`);
      expect(conf).toContain(`listen: "127.0.0.1:${options.clusterPorts[i]}"`);
      expect(conf).toContain(`store_dir: ${JSON.stringify(s.storeDir)}`);
      expect(conf).toContain(`dir: ${JSON.stringify(s.resolverDir)}`);
      // Routes to the two others, never to itself, each with the route user's password.
      const routes = [...conf.matchAll(/"nats-route:\/\/cairn-route:[0-9a-f]{48}@127\.0\.0\.1:(\d+)"/g)].map((m) => Number(m[1]));
      expect(routes.sort()).toEqual(options.clusterPorts.filter((_, j) => j !== i));
    }
    for (const f of [c.creds.gateway, c.creds.cli, c.creds.system, join(dir, "cluster.json")]) expect(mode(f)).toBe(0o600);
    for (const d of [dir, join(dir, "keys"), join(dir, "creds")]) expect(mode(d)).toBe(0o700);
    expect(await readClusterManifest(dir)).toEqual({
      host: "127.0.0.1",
      clientPorts: options.clientPorts,
      clusterPorts: options.clusterPorts,
    });
  });

  test("is idempotent: a re-run keeps keys, creds and the route secret byte for byte", async () => {
    const first = await initNatsCluster(options);
    const files = [first.creds.gateway, first.creds.cli, first.servers[0].configFile, join(dir, "keys", "cairn-account.nk")];
    const before = files.map((f) => readFileSync(f, "utf8"));
    const again = await initNatsCluster(options);
    expect(again.auth.account.publicKey).toBe(first.auth.account.publicKey);
    expect(files.map((f) => readFileSync(f, "utf8"))).toEqual(before);
  });

  test("refuses a non-loopback host and overlapping ports", async () => {
    await expect(initNatsCluster({ ...options, host: "0.0.0.0" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(initNatsCluster({ ...options, clusterPorts: [14222, 16223, 16224] })).rejects.toMatchObject({ code: "bad_request" });
  });
});
