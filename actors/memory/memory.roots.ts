import { homedir } from "node:os";
import { join, relative, resolve, sep } from "node:path";

/**
 * Where memory files live and how they are named to the agent and the user: `MEMORY.md` and
 * `memory/…` under the data directory, and each `[memory] directories` entry as the user wrote it
 * (`~/notes/x.md`). A name maps back to one file only through the index (memory_get never opens a
 * path the index does not hold).
 */
export interface MemoryRoot {
  /** Absolute directory. */
  readonly dir: string;
  /** How files under it are named: "memory/", "~/notes/", "" (the data dir itself, MEMORY.md only). */
  readonly prefix: string;
  /** Only these file names, not recursive (MEMORY.md in the data directory). */
  readonly only?: readonly string[];
}

const tilde = (p: string) => {
  const home = homedir();
  return p === home || p.startsWith(home + sep) ? `~${p.slice(home.length)}` : p;
};

export const expandHome = (p: string) => (p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p);

export function memoryRoots(dataDir: string, directories: readonly string[] = []): MemoryRoot[] {
  const roots: MemoryRoot[] = [
    { dir: resolve(dataDir), prefix: "", only: ["MEMORY.md"] },
    { dir: resolve(dataDir, "memory"), prefix: "memory/" },
  ];
  for (const d of directories) {
    const dir = resolve(expandHome(d));
    if (roots.some((r) => r.dir === dir && !r.only)) continue;
    roots.push({ dir, prefix: `${tilde(dir)}/` });
  }
  return roots;
}

/** The root that holds `file` (the most specific one), or undefined. */
export function rootOf(roots: readonly MemoryRoot[], file: string): MemoryRoot | undefined {
  let best: MemoryRoot | undefined;
  for (const r of roots) {
    const rel = relative(r.dir, file);
    if (rel.startsWith("..") || rel === "" || rel.startsWith(sep)) continue;
    if (r.only && !r.only.includes(rel)) continue;
    if (!best || r.dir.length > best.dir.length) best = r;
  }
  return best;
}

export const displayName = (root: MemoryRoot, file: string) => `${root.prefix}${relative(root.dir, file).split(sep).join("/")}`;

/** Markdown, not hidden, not inside a hidden folder (.git, .obsidian). */
export const isMemoryFile = (rel: string) => /\.md$/i.test(rel) && !rel.split(/[\\/]/).some((p) => p.startsWith("."));
