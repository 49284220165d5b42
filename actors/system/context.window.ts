import { listModelInfo, type ModelConfig, type ModelEnv } from "../llm/index.ts";

/** How long a model's window, once asked, is taken as known. */
const WINDOW_TTL_MS = 60_000;

/** A model's window: what its provider's model list says (discovery, cached), else the catalogue. */
export function contextWindows(env: ModelEnv, config: ModelConfig, now: () => number): (modelId: string) => Promise<number | null> {
  const windows = new Map<string, { at: number; window: Promise<number | null> }>();
  return (modelId) => {
    const had = windows.get(modelId);
    if (had && now() - had.at < WINDOW_TTL_MS) return had.window;
    const provider = modelId.slice(0, Math.max(0, modelId.indexOf("/")));
    const window = listModelInfo(env, config, { provider, enabled: new Set([modelId]) })
      .then((models) => models.find((m) => m.id === modelId)?.contextWindow ?? null)
      .catch(() => null);
    windows.set(modelId, { at: now(), window });
    return window;
  };
}
