/**
 * The Dockerfile's `deps` and `modules` stages (npm ci, then the production node_modules: most of
 * a cold build's time) built once per lock file and kept between runs as one `docker save`
 * tarball under a stable directory, keyed by a hash of everything those two stages read. A run
 * with the tarball `docker load`s it and passes the images as DEPS_IMAGE / MODULES_IMAGE, so the
 * build that remains is the sources: the UI, the CLI bundle and the runtime stage.
 *
 * Builds go through BuildKit (it skips the stages a build argument replaced; the legacy builder
 * runs every stage) with the CLI that ships with the engine: Debian's docker.io 20.10 has
 * BuildKit built in, where a newer CLI without the buildx plugin refuses DOCKER_BUILDKIT=1.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { BaseImages } from "./compose.images.ts";

export const ENGINE_CLI = "/usr/bin/docker";
/** Where the tarball is kept: CAIRN_COMPOSE_CACHE, else ~/.cache/cairn/compose-test. */
export const CACHE_DIR = process.env.CAIRN_COMPOSE_CACHE ?? join(homedir(), ".cache", "cairn", "compose-test");

export interface DepsImages {
  readonly deps: string;
  readonly modules: string;
  /** How they came: from the cache, or built (and then saved) by this run. */
  readonly source: "cache" | "built";
}

export type Runner = (args: string[], timeoutMs: number) => Promise<{ code: number | null; stdout: string; stderr: string }>;

// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own variable, not a template
const BUILD_STAGE = "FROM ${DEPS_IMAGE}";

/** The inputs of the two stages: the files they copy, their part of the Dockerfile, the build image's Node (and its npm). */
export const depsKey = (root: string): string => {
  const h = createHash("sha256");
  for (const f of ["package.json", "package-lock.json", "infra/compose/slim-modules.mjs"]) h.update(readFileSync(join(root, f)));
  const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
  const stagesEnd = dockerfile.indexOf(BUILD_STAGE);
  if (stagesEnd < 0) throw new Error(`the Dockerfile has no \`${BUILD_STAGE}\` stage: compose.deps.ts and the Dockerfile disagree`);
  // Comments left out: rewording one must not cost a run's npm ci.
  h.update(
    dockerfile
      .slice(0, stagesEnd)
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .join("\n"),
  );
  h.update(process.version);
  return h.digest("hex").slice(0, 16);
};

/**
 * Loads the dependency images for `root`'s lock file, or builds and saves them. `docker` runs the
 * engine's CLI (DOCKER_BUILDKIT=1 set by the caller).
 */
export async function dependencyImages(docker: Runner, root: string, base: BaseImages): Promise<DepsImages> {
  const key = depsKey(root);
  const deps = `cairn-test/deps:${key}`;
  const modules = `cairn-test/modules:${key}`;
  const tarball = join(CACHE_DIR, `deps-${key}.tar`);
  const must = (r: Awaited<ReturnType<Runner>>, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  };
  if (existsSync(tarball)) {
    const loaded = await docker(["load", "-q", "-i", tarball], 900_000);
    // The names as saved ("Loaded image: cairn-test/deps:<key>"): the file's name is what is keyed.
    const named = (repo: string) => new RegExp(`^Loaded image: (${repo}:\\S+)$`, "m").exec(loaded.stdout)?.[1];
    const [d, m] = [named("cairn-test/deps"), named("cairn-test/modules")];
    if (loaded.code === 0 && d && m) return { deps: d, modules: m, source: "cache" };
    rmSync(tarball, { force: true }); // truncated or from another engine version: build it again
  }
  const args = ["--network", "host", "--build-arg", `NODE_BUILD_IMAGE=${base.build}`, "--build-arg", `NODE_IMAGE=${base.runtime}`];
  for (const [target, tag] of [
    ["deps", deps],
    ["modules", modules],
  ]) {
    must(
      await docker(["build", "--progress", "plain", ...args, "--target", target, "-t", tag, root], 1_800_000),
      `building the ${target} stage`,
    );
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  // One lock file's images at a time: older tarballs are 2 GB each and never used again.
  for (const f of readdirSync(CACHE_DIR)) if (/^deps-.*\.tar(\.\d+)?$/.test(f)) rmSync(join(CACHE_DIR, f), { force: true });
  const partial = `${tarball}.${process.pid}`;
  must(await docker(["save", "-o", partial, deps, modules], 900_000), "saving the dependency images");
  renameSync(partial, tarball); // atomic: a concurrent run sees the whole file or none
  return { deps, modules, source: "built" };
}
