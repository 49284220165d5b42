// Bundles the CLI (cli/main.ts and everything it imports) with esbuild into dist/cli, so `cairn`
// runs on plain Node: loading the TypeScript through a loader hook costs ~1 s of start-up.
// Run by set-up (infra/setup/ensure.mjs), `npm run build:cli`, the first `cairn` after a clone, and
// `cairn gateway` when a source is newer than the bundle (see cli/bin.mjs). Plain JavaScript: it
// runs before anything is built. `node cli/build.mjs [--if-stale]`.
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist", "cli");
/** The bundle's entry: exports `main` (cli/main.ts). */
export const ENTRY = join(dist, "main.js");
const SOURCES = ["schemas", "bus", "actors", "projections", "cli"];
// Bundled into dist/cli rather than left in node_modules, where Node resolves and loads them file
// by file: effect's hundreds of ES modules (~170 ms for effect/Schema alone; ~35 ms bundled), and
// the NATS client (CommonJS: Node also scans each file for its exports; ~60 ms less bundled). The
// rest (native addons, CommonJS with dependencies of its own, the SDKs) stays external.
const INLINE = /^(effect|@nats-io\/[^/]+|tweetnacl)(\/|$)/;

const newest = (dir) => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : /\.(ts|mjs)$/.test(e.name) ? statSync(p).mtimeMs : 0);
  }
  return t;
};

/** True when the bundle is missing or older than a source, this script or the installed packages. */
export const isStale = () => {
  if (!existsSync(ENTRY)) return true;
  const built = statSync(ENTRY).mtimeMs;
  const lock = statSync(join(root, "package-lock.json"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return lock > built || SOURCES.some((d) => newest(join(root, d)) > built);
};

/** Builds the bundle. Concurrent builds are safe: each builds beside, then swaps it in. */
export async function buildCli() {
  const esbuild = await import("esbuild");
  const tmp = `${dist}.${process.pid}`;
  try {
    await esbuild.build({
      entryPoints: [join(root, "cli", "main.ts")],
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outdir: tmp,
      logLevel: "warning",
      // The bundled CommonJS (NATS) calls require() for Node's modules: give the ES module one.
      banner: { js: 'import { createRequire as __cairnRequire } from "node:module"; const require = __cairnRequire(import.meta.url);' },
      plugins: [
        {
          name: "external-packages",
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (a) => (INLINE.test(a.path) ? undefined : { path: a.path, external: true }));
          },
        },
      ],
    });
  } finally {
    // esbuild keeps its service process (~40 MB) for further calls; the gateway makes none.
    await esbuild.stop();
  }
  mkdirSync(dirname(dist), { recursive: true });
  const old = `${dist}.old.${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dist)) renameSync(dist, old);
  try {
    renameSync(tmp, dist);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another invocation won the race: use its bundle
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes("--if-stale") || isStale()) await buildCli();
}
