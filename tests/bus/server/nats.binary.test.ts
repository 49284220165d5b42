import { afterEach, describe, expect, it } from "vitest";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareVersions, parseNatsVersion, startEmbeddedNats } from "../../../bus/server/index.ts";
import { isCairnError } from "../../../schemas/index.ts";
import { tempDataDir } from "./helpers.ts";

describe("version parsing", () => {
  it("reads `nats-server --version` output and orders versions", () => {
    expect(parseNatsVersion("nats-server: v2.9.10\n")).toEqual([2, 9, 10]);
    expect(parseNatsVersion("garbage")).toBeUndefined();
    expect(compareVersions([2, 10, 0], [2, 9, 10])).toBeGreaterThan(0);
    expect(compareVersions([2, 9, 9], [2, 9, 10])).toBeLessThan(0);
  });
});

describe("nats-server binary gate", () => {
  const saved = process.env.CAIRN_NATS_SERVER_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.CAIRN_NATS_SERVER_BIN;
    else process.env.CAIRN_NATS_SERVER_BIN = saved;
  });

  it("rejects a server older than 2.9.10", async () => {
    const dir = tempDataDir();
    const fake = join(dir, "nats-server");
    writeFileSync(fake, "#!/bin/sh\necho 'nats-server: v2.8.0'\n");
    chmodSync(fake, 0o755);
    process.env.CAIRN_NATS_SERVER_BIN = fake;
    const err = await startEmbeddedNats({ dataDir: dir }).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe("unavailable");
    expect((err as Error).message).toMatch(/2\.8\.0.*too old.*2\.9\.10/);
    expect(existsSync(join(dir, "nats"))).toBe(false); // nothing created for a server it won't run
  });

  it("names the fix when the binary is missing", async () => {
    const dir = tempDataDir();
    process.env.CAIRN_NATS_SERVER_BIN = join(dir, "no-such-nats-server");
    const err = await startEmbeddedNats({ dataDir: dir }).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe("unavailable");
    expect((err as Error).message).toContain("sudo apt-get install nats-server");
  });

  it("reports the server's own output when it cannot start", async () => {
    const dir = tempDataDir();
    const fake = join(dir, "nats-server");
    writeFileSync(
      fake,
      "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'nats-server: v2.9.10'; exit 0; fi\necho 'boom: cannot listen' >&2\nexit 1\n",
    );
    chmodSync(fake, 0o755);
    process.env.CAIRN_NATS_SERVER_BIN = fake;
    const err = await startEmbeddedNats({ dataDir: dir }).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe("unavailable");
    expect((err as Error).message).toMatch(/did not start[\s\S]*boom: cannot listen/);
  });
});
