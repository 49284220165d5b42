import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { createDemuxer } from "../../../actors/sandbox/docker.demux.ts";
import { containerCreateOptions } from "../../../actors/sandbox/docker.spec.ts";
import { needsLoader } from "../../../actors/sandbox/docker.image.ts";
import { resolveDockerSocket } from "../../../actors/sandbox/index.ts";

// The engine-free parts of the docker backend; the behaviour end to end is in docker.exec/isolation.

const frame = (type: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

describe("the attach stream demultiplexer", () => {
  it("splits stdout from stderr even when the socket cuts headers and payloads anywhere", () => {
    const wire = Buffer.concat([frame(1, "hello "), frame(2, "oops\n"), frame(1, "world\n"), frame(2, "é")]);
    // Every split point, including inside a header and inside a multi-byte character.
    for (let cut = 0; cut <= wire.length; cut++) {
      const got: Record<string, Buffer[]> = { stdout: [], stderr: [] };
      const d = createDemuxer((s, p) => got[s].push(p));
      d.push(wire.subarray(0, cut));
      d.push(wire.subarray(cut));
      expect(Buffer.concat(got.stdout).toString(), `cut ${cut}`).toBe("hello world\n");
      expect(Buffer.concat(got.stderr).toString(), `cut ${cut}`).toBe("oops\né");
      expect(d.pending()).toBe(0);
    }
  });

  it("holds an incomplete frame back instead of emitting half of it", () => {
    const got: string[] = [];
    const d = createDemuxer((_s, p) => got.push(p.toString()));
    d.push(frame(1, "complete").subarray(0, 11));
    expect(got).toEqual([]);
    expect(d.pending()).toBe(11);
  });
});

describe("finding the engine's socket", () => {
  const none = () => false;
  it("takes a unix DOCKER_HOST, else Docker's socket, else Podman's rootful then rootless one", () => {
    expect(resolveDockerSocket({ DOCKER_HOST: "unix:///srv/d.sock" }, none)).toBe("/srv/d.sock");
    const only = (p: string) => (q: string) => q === p;
    expect(resolveDockerSocket({}, only("/var/run/docker.sock"))).toBe("/var/run/docker.sock");
    expect(resolveDockerSocket({}, only("/run/podman/podman.sock"))).toBe("/run/podman/podman.sock");
    expect(resolveDockerSocket({ XDG_RUNTIME_DIR: "/run/user/1000" }, only("/run/user/1000/podman/podman.sock"))).toBe(
      "/run/user/1000/podman/podman.sock",
    );
  });

  it("ignores a tcp DOCKER_HOST (bind mounts need a local engine) and names Docker's path when nothing exists", () => {
    expect(resolveDockerSocket({ DOCKER_HOST: "tcp://10.0.0.1:2375" }, none)).toBe("/var/run/docker.sock");
  });
});

describe("the image builder's busybox check", () => {
  it("refuses a dynamically linked executable and what is not ELF", () => {
    expect(needsLoader(fs.readFileSync(process.execPath))).toBe(true); // node needs ld.so
    expect(() => needsLoader(Buffer.from("#!/bin/sh\necho not elf\n".padEnd(80)))).toThrow(/not an ELF/);
  });

  it.skipIf(!fs.existsSync("/bin/busybox"))("accepts busybox-static (skipped: busybox-static not installed)", () => {
    expect(needsLoader(fs.readFileSync("/bin/busybox"))).toBe(false);
  });
});

describe("the container spec", () => {
  it("never opts out of the engine's default /proc masks and read-only paths", () => {
    const spec = containerCreateOptions({
      image: "i",
      workspace: "/w",
      workspaceMount: "rw",
      user: "0:0",
      network: false,
      networkMode: "none",
      tmpMb: 64,
      path: "/usr/bin:/bin",
      name: "n",
    });
    const host = spec.HostConfig as Record<string, unknown>;
    expect(host.Privileged).toBeUndefined();
    expect(host.MaskedPaths).toBeUndefined();
    expect(host.ReadonlyPaths).toBeUndefined();
    expect(host.SecurityOpt).not.toContain("systempaths=unconfined");
    expect(host.CapDrop).toEqual(["ALL"]);
  });
});
