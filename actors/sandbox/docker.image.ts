import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { Readable } from "node:stream";
import { CairnError } from "../../schemas/index.ts";
import { DEFAULT_SANDBOX_IMAGE } from "./docker.spec.ts";
import { dockerClient, pingEngine, resolveDockerSocket } from "./docker.socket.ts";
import { DEFAULT_PATH } from "./env.filter.ts";
import { busyboxRootfs, tarArchive } from "./rootfs.tar.ts";

/** Whether an ELF executable names a program interpreter (PT_INTERP), i.e. is not static. */
export const needsLoader = (elf: Buffer): boolean => {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error("not an ELF executable");
  const is64 = elf[4] === 2;
  const le = elf[5] === 1;
  const u16 = (o: number) => (le ? elf.readUInt16LE(o) : elf.readUInt16BE(o));
  const u32 = (o: number) => (le ? elf.readUInt32LE(o) : elf.readUInt32BE(o));
  const phoff = is64 ? Number(le ? elf.readBigUInt64LE(0x20) : elf.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) if (u32(phoff + i * phentsize) === 3) return true;
  return false;
};

export interface BuildImageOptions {
  readonly socketPath?: string;
  /** Default `cairn-sandbox:latest`. */
  readonly tag?: string;
  /** A statically linked busybox (Debian: `apt-get install busybox-static` → /bin/busybox). */
  readonly busybox?: string;
}

/**
 * Builds the default sandbox image without any registry: a root filesystem holding the host's
 * static busybox and its applet symlinks, imported into the engine (`docker import`) with
 * `CMD /bin/sh` and a PATH. Rebuilding replaces the tag. Returns the image id.
 */
export const buildSandboxImage = async (opts: BuildImageOptions = {}): Promise<string> => {
  const socketPath = opts.socketPath ?? resolveDockerSocket();
  const tag = opts.tag ?? DEFAULT_SANDBOX_IMAGE;
  const bin = opts.busybox ?? "/bin/busybox";
  const why = await pingEngine(socketPath);
  if (why) throw new CairnError("unavailable", why);
  let applets: string[];
  let binary: Buffer;
  try {
    binary = fs.readFileSync(bin);
    // Only a static busybox runs in an image with no libc; the dynamic one (package `busybox`) would not.
    if (needsLoader(binary)) throw new Error(`${bin} is dynamically linked`);
    applets = execFileSync(bin, ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch (e) {
    throw new CairnError(
      "unavailable",
      `no usable static busybox at ${bin} (${(e as Error).message}): install busybox-static (apt-get install busybox-static)`,
    );
  }
  const tar = tarArchive(busyboxRootfs(binary, applets));
  const [repo, version] = tag.includes(":") ? [tag.slice(0, tag.lastIndexOf(":")), tag.slice(tag.lastIndexOf(":") + 1)] : [tag, "latest"];
  const docker = dockerClient(socketPath);
  const progress = (await docker.importImage(Readable.from([tar]), {
    repo,
    tag: version,
    changes: ['CMD ["/bin/sh"]', `ENV PATH=${DEFAULT_PATH}`, "LABEL cairn.sandbox.image=busybox"],
  } as object)) as NodeJS.ReadableStream;
  let body = "";
  for await (const chunk of progress) body += chunk.toString();
  if (/"error"/.test(body)) throw new CairnError("internal", `docker import failed: ${body.trim()}`);
  const info = await docker.getImage(tag).inspect();
  return info.Id;
};
