// Run by the Dockerfile's build stage after `npm prune --omit=dev`: drops native builds the
// image's platform can never load, which are most of node_modules' size (measured: 1.1 GB → see
// bench/compose.bench.ts). Plain Node, so it runs on any build image.
//
// - @node-llama-cpp/*: one prebuilt llama.cpp per platform and GPU flavour. Kept: this platform's
//   CPU build, plus its CUDA/Vulkan builds only with KEEP_GPU_BUILDS=1 (a container sees no GPU
//   unless it is given one; node-llama-cpp then uses the CPU build).
// - uWebSockets.js/binaries: one addon per OS, CPU and Node ABI. Kept: this OS, CPU and ABI (the
//   runtime image's Node is the build image's: the Dockerfile requires the same version).
// - source maps and type declarations (*.map, *.d.ts): nothing reads them at run time (~70 MB).
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const modules = join(process.argv[2] ?? ".", "node_modules");
const platform = `${process.platform}-${process.arch}`;
const keepGpu = process.env.KEEP_GPU_BUILDS === "1";
let removed = 0;
const drop = (p) => {
  rmSync(p, { recursive: true, force: true });
  removed++;
};
const list = (d) => {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
};

for (const name of list(join(modules, "@node-llama-cpp"))) {
  if (name === platform || (keepGpu && name.startsWith(`${platform}-`))) continue;
  drop(join(modules, "@node-llama-cpp", name));
}
const uws = join(modules, "uWebSockets.js", "binaries");
for (const name of list(uws)) {
  if (name === `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`) continue;
  drop(join(uws, name));
}
let files = 0;
const devOnly = /\.(map|d\.[cm]?ts)$/;
const sweep = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sweep(p);
    else if (e.isFile() && devOnly.test(e.name)) {
      rmSync(p);
      files++;
    }
  }
};
sweep(modules);
process.stdout.write(
  `slim-modules: removed ${removed} native builds for other platforms${keepGpu ? "" : " and GPUs"}, ${files} source maps and type declarations\n`,
);
