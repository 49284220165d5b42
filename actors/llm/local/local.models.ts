import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import type { LocalProviderConfig as LocalProviderConfigSchema } from "../../../schemas/index.ts";

/** `[providers.local]` of cairn.toml. */
export type LocalProviderConfig = typeof LocalProviderConfigSchema.Type;

/**
 * What the model list, the UI and the registry need to know about local models without loading
 * node-llama-cpp: which GGUF files exist, what they are called, what they can do, and what size
 * of model this machine can run.
 */

/**
 * Local models cannot call tools here: node-llama-cpp only does function calling through
 * grammar-constrained chat wrappers that small GGUFs handle unreliably, and cairn's tool loop is
 * built on the providers' native tool-call protocol. The agent runs local models without tools.
 */
export const LOCAL_SUPPORTS_TOOLS = false;

export const LOCAL_CAPABILITIES = {
  tools: false,
  vision: false,
  streaming: true,
  embeddings: true,
  note: "Runs on this machine with llama.cpp. Tools are disabled for local models: the agent answers without running tools.",
} as const;

export interface LocalModelEntry {
  /** "local/<file name without .gguf>" */
  id: string;
  /** The provider-local name: the file name without ".gguf". */
  name: string;
  path: string;
  /** null when the configured `model_path` does not exist (see `problem`). */
  sizeBytes: number | null;
  source: "model_path" | "models_dir";
  /** Why the entry cannot be used as is (e.g. the configured file is missing). */
  problem?: string;
}

export interface ListLocalModelsOptions {
  /** cairn's data dir; the models dir defaults to `<dataDir>/models`. */
  dataDir: string;
  /** Relative paths in the config resolve against this (the config file's dir). Default: cwd. */
  baseDir?: string;
}

export const expandPath = (p: string, baseDir: string) => {
  const home = p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
  return isAbsolute(home) ? home : resolve(baseDir, home);
};

export const localModelName = (path: string) => basename(path).replace(/\.gguf$/i, "");

/**
 * `model_path` (listed even when missing, with a `problem`, so the UI can say so) and every
 * `*.gguf` in `models_dir` (default `<dataDir>/models`; a missing dir lists nothing), sorted by
 * name. Split GGUFs (`name-00001-of-00003.gguf`) are listed by their first part only. When two
 * files share a name, the `model_path` one wins.
 */
export async function listLocalModels(config: LocalProviderConfig | undefined, opts: ListLocalModelsOptions): Promise<LocalModelEntry[]> {
  const baseDir = opts.baseDir ?? process.cwd();
  const entries: LocalModelEntry[] = [];
  const seen = new Set<string>();
  const names = new Set<string>();

  if (config?.model_path) {
    const path = expandPath(config.model_path, baseDir);
    const name = localModelName(path);
    const st = await stat(path).catch(() => null);
    entries.push({
      id: `local/${name}`,
      name,
      path,
      sizeBytes: st?.isFile() ? st.size : null,
      source: "model_path",
      ...(st?.isFile() ? {} : { problem: st ? `${path} is not a file` : `model_path ${path} does not exist` }),
    });
    seen.add(path);
    names.add(name);
  }

  const dir = config?.models_dir ? expandPath(config.models_dir, baseDir) : join(opts.dataDir, "models");
  const files = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: LocalModelEntry[] = [];
  for (const f of files) {
    if (!/\.gguf$/i.test(f.name)) continue;
    const split = /-(\d{5})-of-\d{5}\.gguf$/i.exec(f.name);
    if (split && split[1] !== "00001") continue;
    const path = join(dir, f.name);
    if (seen.has(path)) continue;
    const st = await stat(path).catch(() => null); // follows symlinks
    if (!st?.isFile()) continue;
    const name = localModelName(path);
    if (names.has(name)) continue;
    names.add(name);
    found.push({ id: `local/${name}`, name, path, sizeBytes: st.size, source: "models_dir" });
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  return [...entries, ...found];
}

export interface MemoryTier {
  /** Upper bound of RAM for this tier in GB; null for the top tier. */
  maxRamGb: number | null;
  /** e.g. "≤ 8 GB RAM" */
  ram: string;
  /** e.g. "1–3 B parameters at Q4" */
  suggestion: string;
  examples: readonly string[];
  /** The tier this machine is in. */
  current: boolean;
}

// Q4_K_M weighs ~0.6 GB per billion parameters, plus the KV cache and the OS: a model should take
// at most about half of the RAM to leave the machine usable.
const TIERS: ReadonlyArray<Omit<MemoryTier, "current">> = [
  { maxRamGb: 4, ram: "≤ 4 GB RAM", suggestion: "up to 1 B parameters at Q4", examples: ["Qwen2.5 0.5B", "Llama 3.2 1B"] },
  { maxRamGb: 8, ram: "≤ 8 GB RAM", suggestion: "1–3 B parameters at Q4", examples: ["Llama 3.2 3B", "Qwen2.5 3B", "Phi-3.5 mini"] },
  { maxRamGb: 16, ram: "≤ 16 GB RAM", suggestion: "7–8 B parameters at Q4", examples: ["Llama 3.1 8B", "Qwen2.5 7B", "Mistral 7B"] },
  {
    maxRamGb: 32,
    ram: "≤ 32 GB RAM",
    suggestion: "12–14 B parameters at Q4–Q5",
    examples: ["Qwen2.5 14B", "Phi-4 14B", "Mistral Nemo 12B"],
  },
  { maxRamGb: 64, ram: "≤ 64 GB RAM", suggestion: "27–34 B parameters at Q4", examples: ["Qwen2.5 32B", "Gemma 2 27B"] },
  { maxRamGb: null, ram: "> 64 GB RAM", suggestion: "70 B parameters at Q4", examples: ["Llama 3.3 70B", "Qwen2.5 72B"] },
];

/** Model-size suggestions for the UI, with the tier of a machine with `totalRamBytes` marked. */
export function memoryTiers(totalRamBytes: number): MemoryTier[] {
  const gbRam = totalRamBytes / 1024 ** 3;
  // A "16 GB" machine reports a little less than 16 GiB: allow 5 % under the tier's bound.
  const idx = TIERS.findIndex((t) => t.maxRamGb === null || gbRam <= t.maxRamGb * 1.05);
  return TIERS.map((t, i) => ({ ...t, current: i === idx }));
}
