import { findProvider, listModels, noEnabledModels, providerIds } from "../../actors/llm/index.ts";
import { requestAs, subjects } from "../../bus/index.ts";
import { ListModelsResult } from "../../schemas/index.ts";
import { UsageError, table } from "../output.ts";
import type { Paths } from "../paths.ts";
import { fromGatewayOrLocal, LIST_TIMEOUT_MS, localSetup } from "./providers.ts";

/** `cairn models [--json] [--provider P] [--refresh]` */
export async function modelsList(
  o: { json: boolean; provider: string | undefined; refresh: boolean },
  paths: Paths,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (o.provider !== undefined) {
    const { config } = localSetup(paths, env);
    if (!findProvider(o.provider, env, config))
      throw new UsageError(`unknown provider '${o.provider}' for --provider; known: ${providerIds(config).join(", ")}`);
  }
  const { value } = await fromGatewayOrLocal(
    paths,
    (nc) =>
      requestAs(nc, subjects.query("models", "list"), o.refresh ? { refresh: true } : {}, ListModelsResult, { timeoutMs: LIST_TIMEOUT_MS }),
    async () => {
      const setup = localSetup(paths, env);
      return listModels(setup, noEnabledModels, o.refresh);
    },
  );
  const models = o.provider ? value.models.filter((m) => m.provider === o.provider) : value.models;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ models, defaultModel: value.defaultModel })}\n`);
    return 0;
  }
  if (models.length === 0) {
    process.stdout.write(
      o.provider
        ? `no models found for ${o.provider}: 'cairn providers' shows whether its key is set and it answers\n`
        : "no models found: set a provider key ('cairn providers set-key <provider>') or start a local server (ollama, lmstudio)\n",
    );
    return 0;
  }
  const yn = (b: boolean | null) => (b === null ? "?" : b ? "yes" : "no");
  const rows = models.map((m) => [
    m.id + (m.id === value.defaultModel ? " (default)" : ""),
    m.provider,
    context(m.contextWindow),
    yn(m.tools),
    yn(m.vision),
    m.enabled ? "yes" : "",
  ]);
  process.stdout.write(table([["MODEL", "PROVIDER", "CONTEXT", "TOOLS", "VISION", "ENABLED"], ...rows]));
  return 0;
}

const context = (n: number | null): string =>
  n === null ? "?" : n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
