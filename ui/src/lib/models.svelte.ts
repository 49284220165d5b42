import { asWireError, type GatewayClient } from "./client.ts";
import type { ModelInfo, WireError } from "./wire.ts";

/** The gateway's models (`models.list`): the picker offers the enabled ones. */
export class ModelsStore {
  models = $state<readonly ModelInfo[]>([]);
  defaultModel = $state<string | null>(null);
  loaded = $state(false);
  error = $state<WireError | null>(null);

  enabled = $derived(this.models.filter((m) => m.enabled));

  readonly #client: GatewayClient;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  async load(refresh = false): Promise<void> {
    try {
      const r = await this.#client.request("models.list", refresh ? { refresh } : {});
      this.models = r.models;
      this.defaultModel = r.defaultModel;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = asWireError(e);
    }
  }

  find(id: string | null): ModelInfo | undefined {
    return id === null ? undefined : this.models.find((m) => m.id === id);
  }

  /**
   * The model `/model <arg>` means: an exact id, or a bare name that exactly one provider serves
   * (`/model gpt-4o-mini`). An error text when there is none or more than one.
   */
  resolve(arg: string): { id: string } | { error: string } {
    if (this.find(arg)) return { id: arg };
    const byName = this.models.filter((m) => m.id.slice(m.id.indexOf("/") + 1) === arg);
    if (byName.length === 1) return { id: byName[0].id };
    if (byName.length > 1) {
      return { error: `"${arg}" is served by several providers: ${byName.map((m) => m.id).join(", ")}. Use the full id.` };
    }
    // When the list could not be had, let the gateway judge a well-formed id.
    if (!this.loaded && /^[a-z0-9][a-z0-9_-]*\/\S+$/.test(arg)) return { id: arg };
    const some = this.enabled.slice(0, 5).map((m) => m.id);
    const hint = some.length ? ` Known models include ${some.join(", ")}.` : "";
    return { error: `Unknown model "${arg}".${hint} Enable more on the Providers page.` };
  }
}

export const isLocalModel = (id: string | null | undefined): boolean => !!id && id.startsWith("local/");

/** Models grouped by provider, providers in first-seen order. */
export function byProvider(models: readonly ModelInfo[]): [string, ModelInfo[]][] {
  const groups = new Map<string, ModelInfo[]>();
  for (const m of models) {
    let g = groups.get(m.provider);
    if (!g) {
      g = [];
      groups.set(m.provider, g);
    }
    g.push(m);
  }
  return [...groups];
}

/** 128000 and 131072 → "128k", 1048576 → "1M" tokens (windows come in both bases). */
export function contextLabel(tokens: number | null): string {
  if (tokens === null) return "";
  const unit = tokens % 1000 !== 0 && tokens % 1024 === 0 ? 1024 : 1000;
  if (tokens >= unit * unit) return `${+(tokens / (unit * unit)).toFixed(1)}M`;
  if (tokens >= unit) return `${Math.round(tokens / unit)}k`;
  return String(tokens);
}

/** 12345 → "12.3k" */
export function countLabel(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${+(n / 1000).toFixed(1)}k`;
  return `${+(n / 1_000_000).toFixed(2)}M`;
}
