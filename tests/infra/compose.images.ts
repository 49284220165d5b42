/**
 * Base images for the compose test, made from this machine's own files because no image
 * registry is reachable here: they stand in for the official `node:*-bookworm(-slim)` and `nats`
 * images the Dockerfile and docker-compose.yml name by default, and are passed as build args /
 * image variables.
 *
 * - runtime: the host's Node binary and the shared libraries `ldd` lists (glibc's), `env`, a
 *   passwd with `node` (uid 1000) as in the official image. No shell, like a distroless image: the
 *   Dockerfile's runtime stage must not need one.
 * - build: the runtime plus busybox-static (npm runs scripts with /bin/sh), npm, the CA bundle
 *   npm uses here, and better-sqlite3's prebuilt addon where prebuild-install looks for local
 *   prebuilds: it stands in for the download from GitHub that the official image does (GitHub is
 *   not reachable here either); the addon is the one this checkout built for this Node.
 * - nats: the host's nats-server at /nats-server, the official image's entrypoint.
 * - lb: HAProxy for docker-compose.cluster.yml, from Debian's packages (`apt-get download`, not
 *   installed on this machine) and the libraries of this machine it links, at the official
 *   image's paths (/usr/local/sbin/haproxy, the config in /usr/local/etc/haproxy/).
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface BaseImages {
  readonly runtime: string;
  readonly build: string;
  readonly nats: string;
  readonly lb: string;
}

const NODE = process.execPath;
const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server"].find((p) => {
  try {
    return readFileSync(p).length > 0;
  } catch {
    return false;
  }
});
const NPM_DIR = join(dirname(dirname(NODE)), "lib", "node_modules", "npm");
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const ROOT = join(import.meta.dirname, "..", "..");

/** Why these images cannot be made here, or undefined. */
export const imagesSkipReason = (): string | undefined => {
  if (!NATS_SERVER) return "nats-server is not installed";
  try {
    readFileSync(join(NPM_DIR, "package.json"));
  } catch {
    return `npm is not at ${NPM_DIR}`;
  }
  return undefined;
};

/** Libraries a dynamically linked binary loads, as `ldd` resolves them (the loader included). */
const sharedLibs = (bin: string, libraryPath?: string): string[] => {
  const out = execFileSync("ldd", [bin], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: libraryPath ?? "" } });
  const missing = /^\s*(\S+) => not found$/m.exec(out);
  if (missing) throw new Error(`${bin} needs ${missing[1]}, which neither this machine nor the downloaded packages have`);
  return out
    .split("\n")
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
};

// haproxy and the libraries it links that a Debian machine without it lacks (bookworm's names).
const HAPROXY_DEBS = ["haproxy", "liblua5.3-0", "libopentracing-c-wrapper0", "libopentracing1"];

/** A root with HAProxy from Debian's archive: the packages unpacked, then binary and libraries copied. */
const haproxyRoot = (work: string, root: string): void => {
  const debs = join(work, "debs");
  mkdirSync(debs);
  execFileSync("apt-get", ["download", "-q", ...HAPROXY_DEBS], { cwd: debs, stdio: ["ignore", "ignore", "pipe"] });
  const unpacked = join(work, "unpacked");
  for (const deb of readdirSync(debs)) execFileSync("dpkg-deb", ["-x", join(debs, deb), unpacked]);
  const bin = join(unpacked, "usr", "sbin", "haproxy");
  put(root, bin, "/usr/local/sbin/haproxy");
  // The packages' libraries are in usr/lib/<multiarch triplet>/, e.g. x86_64-linux-gnu.
  const libDirs = readdirSync(join(unpacked, "usr", "lib")).map((d) => join(unpacked, "usr", "lib", d));
  for (const lib of sharedLibs(bin, libDirs.join(":"))) {
    put(root, lib, lib.startsWith(unpacked) ? lib.slice(unpacked.length) : lib);
  }
  mkdirSync(join(root, "usr", "local", "etc", "haproxy"), { recursive: true });
  mkdirSync(join(root, "tmp"), { mode: 0o1777 });
};

/** Copies `src` to the same absolute path under `root` (symlinks followed: the image gets files). */
const put = (root: string, src: string, dest = src): void => {
  mkdirSync(dirname(join(root, dest)), { recursive: true });
  execFileSync("cp", ["-rL", "--preserve=mode", src, join(root, dest)]);
};

const importImage = (docker: (args: string[], input?: Buffer) => string, dir: string, tag: string, changes: string[]): string => {
  const tar = execFileSync("tar", ["--numeric-owner", "-C", dir, "-c", "."], { maxBuffer: 2 ** 31 });
  docker(["import", ...changes.flatMap((c) => ["--change", c]), "-", tag], tar);
  return tag;
};

/** glibc's own libraries (librt, libnss_*, …): addons such as rolldown's load some Node itself does not. */
const glibc = (): string[] =>
  execFileSync("dpkg", ["-L", "libc6"], { encoding: "utf8" })
    .split("\n")
    .filter((p) => /\/lib[^/]*\/[^/]+\/lib[^/]*\.so(\.\d+)*$/.test(p) || /\/ld-linux[^/]*\.so/.test(p));

const withNode = (root: string): void => {
  put(root, NODE, "/usr/bin/node");
  // As in the official image (coreutils): `cairn` is cli/bin.mjs, whose shebang is `/usr/bin/env -S node …`.
  put(root, "/usr/bin/env");
  for (const lib of new Set([...sharedLibs(NODE), ...glibc()])) put(root, lib);
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnode:x:1000:\n");
  for (const d of ["tmp", "root", "home/node"]) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  chownSync(join(root, "home", "node"), 1000, 1000);
};

/** Makes the three images in the engine `docker` talks to (a CLI runner bound to its socket). */
export function buildBaseImages(docker: (args: string[], input?: Buffer) => string, tagPrefix = "cairn-test"): BaseImages {
  const work = mkdtempSync(join(tmpdir(), "cairn-compose-img-"));
  try {
    const runtime = join(work, "runtime");
    withNode(runtime);
    const path = "ENV PATH=/usr/local/bin:/usr/bin:/bin";
    const runtimeTag = importImage(docker, runtime, `${tagPrefix}/node:runtime`, [path]);

    const build = join(work, "build");
    withNode(build);
    put(build, "/bin/busybox");
    const applets = execFileSync("/bin/busybox", ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const a of applets) {
      const link = join(build, a);
      mkdirSync(dirname(link), { recursive: true });
      try {
        symlinkSync("/bin/busybox", link);
      } catch {
        // an applet path that is already a real file (busybox itself)
      }
    }
    put(build, NPM_DIR, "/usr/lib/node_modules/npm");
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(build, "usr", "bin", "npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(build, "usr", "bin", "npx"));
    put(build, CA_BUNDLE);
    // prebuild-install's file name: <name>-v<version>-node-v<ABI>-<platform>-<arch>.tar.gz.
    const sqlite = join(ROOT, "node_modules", "better-sqlite3");
    const version = JSON.parse(readFileSync(join(sqlite, "package.json"), "utf8")).version;
    const stage = join(work, "prebuild");
    mkdirSync(join(stage, "build", "Release"), { recursive: true });
    copyFileSync(join(sqlite, "build", "Release", "better_sqlite3.node"), join(stage, "build", "Release", "better_sqlite3.node"));
    mkdirSync(join(build, "prebuilds"));
    const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    execFileSync("tar", ["-czf", join(build, "prebuilds", name), "-C", stage, "build"]);
    const buildTag = importImage(docker, build, `${tagPrefix}/node:build`, [
      path,
      "ENV npm_config_better_sqlite3_local_prebuilds=/prebuilds",
      `ENV NPM_CONFIG_CAFILE=${CA_BUNDLE}`,
    ]);

    const nats = join(work, "nats");
    put(nats, NATS_SERVER!, "/nats-server");
    for (const lib of sharedLibs(NATS_SERVER!)) put(nats, lib);
    mkdirSync(join(nats, "tmp"), { mode: 0o1777 });
    const natsTag = importImage(docker, nats, `${tagPrefix}/nats:local`, [
      'ENTRYPOINT ["/nats-server"]',
      'CMD ["--config", "nats-server.conf"]',
    ]);

    const lb = join(work, "lb");
    haproxyRoot(work, lb);
    const lbTag = importImage(docker, lb, `${tagPrefix}/haproxy:local`, [
      'CMD ["/usr/local/sbin/haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
    ]);
    return { runtime: runtimeTag, build: buildTag, nats: natsTag, lb: lbTag };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
