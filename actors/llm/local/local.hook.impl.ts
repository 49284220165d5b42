import { existsSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { CairnError } from "../../../schemas/index.ts";
import type { LocalProviderHook } from "../local.hook.ts";
import type { LocalModelsConfig } from "../model.config.ts";
import { createLocalProvider, type LocalProvider } from "./local.provider.ts";
import { LOCAL_SUPPORTS_TOOLS, expandPath, listLocalModels, localModelName, memoryTiers } from "./local.models.ts";

/**
 * Connects `local/<name>` ids to GGUF files: `[providers.local] model_path` (its file name is the
 * model name) or `<models_dir>/<name>.gguf`. One provider per file, loaded on its first request.
 */
export function localProviderHook(opts: { dataDir: string; baseDir?: string }): LocalProviderHook {
  const base = opts.baseDir ?? process.cwd();
  const providers = new Map<string, LocalProvider>();
  const modelsDir = (c: LocalModelsConfig | undefined) => (c?.models_dir ? expandPath(c.models_dir, base) : join(opts.dataDir, "models"));
  const fileFor = (model: string, c: LocalModelsConfig | undefined): string => {
    if (c?.model_path && localModelName(c.model_path) === model) return expandPath(c.model_path, base);
    return join(modelsDir(c), `${model}.gguf`);
  };
  return {
    resolve(model, c) {
      if (model.includes("/") || model.includes("..")) throw new CairnError("model_unknown", `"local/${model}" is not a local model name`);
      const file = fileFor(model, c);
      let p = providers.get(file);
      if (!p) {
        p = createLocalProvider({
          modelPath: file,
          ...(c?.threads ? { threads: c.threads } : {}),
          ...(c?.gpu_layers !== undefined ? { gpuLayers: c.gpu_layers } : {}),
          ...(c?.context_size ? { contextSize: c.context_size } : {}),
        });
        providers.set(file, p);
      }
      return p;
    },
    check(model, c) {
      const file = fileFor(model, c);
      return existsSync(file)
        ? null
        : `no GGUF file for local/${model}: expected ${file} (set [providers.local] model_path or put it in ${modelsDir(c)})`;
    },
    async listModels(c) {
      const found = await listLocalModels(c, { dataDir: opts.dataDir, baseDir: base });
      return found.filter((m) => !m.problem).map((m) => ({ id: m.name, contextWindow: null, tools: LOCAL_SUPPORTS_TOOLS, vision: false }));
    },
    location: (c) => (c?.model_path ? expandPath(c.model_path, base) : modelsDir(c)),
    memory: () => ({ totalRamBytes: totalmem(), tiers: memoryTiers(totalmem()) }),
    loaded: () =>
      [...providers.values()].map((p) => {
        const i = p.info();
        return { model: localModelName(i.modelPath ?? ""), state: i.state, progress: i.progress, error: i.error ?? null };
      }),
  };
}
