import type { NatsConnection } from "@nats-io/transport-node";
import { serve, subjects } from "../../bus/index.ts";
import { CairnError, decodeOrFail, methodParams, type ProviderStatus } from "../../schemas/index.ts";
import { suggestModels } from "./models.ts";
import { checkKey, keyedProvider, listModels, listProviders, type EnabledModels, type ProviderModelSetup } from "./providers.admin.ts";
import { providerStatus } from "./providers.status.ts";
import { findProvider } from "./registry.ts";

const SetKeyParams = methodParams["providers.setKey"];
const EnableParams = methodParams["models.enable"];
const ListParams = methodParams["models.list"];

/**
 * The provider services on the bus: `q.models.list` and `q.providers.list` (`{refresh?}`),
 * `admin.providers.set_key` (`{provider, key}` → the provider's status, which never carries the
 * key) and `admin.models.enable` (`{provider, models}` → `{provider, models}`).
 */
export function serveProviderServices(o: { nc: NatsConnection; model: ProviderModelSetup; enabled: EnabledModels }) {
  const enabled = o.enabled;
  // CAIRN_MODEL=groq (a provider alone): learn what it serves now, so the status hint lists it.
  const bare = o.model.defaultModel?.replace(/\/$/, "");
  if (bare && !bare.includes("/") && findProvider(bare, o.model.env, o.model.config)) {
    void suggestModels(bare, o.model.env, o.model.config).catch(() => {});
  }
  return [
    serve(o.nc, subjects.query("models", "list"), async (p) => {
      const params = decodeOrFail(ListParams, p, "models.list params");
      return listModels(o.model, enabled, params.refresh === true);
    }),
    serve(o.nc, subjects.query("providers", "list"), async (p) => {
      const params = decodeOrFail(methodParams["providers.list"], p, "providers.list params");
      return listProviders(o.model, params.refresh === true);
    }),
    serve(o.nc, subjects.admin("providers", "set_key"), async (p): Promise<ProviderStatus> => {
      let params: typeof SetKeyParams.Type;
      try {
        params = decodeOrFail(SetKeyParams, p, "set_key params");
      } catch {
        // The decoder's message may quote the value, and the value is a key.
        throw new CairnError(
          "bad_request",
          "set_key takes {provider, key}: a provider id (≤ 32 characters) and a key of 1-4096 characters",
        );
      }
      const provider = keyedProvider(params.provider, o.model);
      o.model.keys.set(provider, checkKey(provider, params.key));
      // Ask the provider with the new key at once: the answer says whether the key works.
      const status = await providerStatus(provider, o.model.env, o.model.config, { ask: true, refresh: true });
      // keyedProvider found it a moment ago; only a registry change in between could lose it.
      if (!status) throw new CairnError("model_unknown", `unknown provider "${provider}"`, { provider });
      return status;
    }),
    serve(o.nc, subjects.admin("models", "enable"), async (p) => {
      const params = decodeOrFail(EnableParams, p, "models.enable params");
      const provider = findProvider(params.provider, o.model.env, o.model.config);
      if (!provider) throw new CairnError("model_unknown", `unknown provider "${params.provider}"`, { provider: params.provider });
      const foreign = params.models.filter((m) => !m.startsWith(`${provider.id}/`));
      if (foreign.length > 0)
        throw new CairnError("bad_request", `models of ${provider.id} must start with '${provider.id}/': ${foreign.join(", ")}`);
      return { provider: provider.id, models: await enabled.set(provider.id, params.models) };
    }),
  ];
}
