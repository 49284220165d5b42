import type { WireError } from "./wire.ts";

/**
 * Wire errors as a person reads them: what happened and what to do. The stable code stays
 * visible next to the text (it is what one searches for); the gateway's own message is kept as
 * the detail, since it names the provider and model involved.
 */
export type Explained = {
  /** Short label for a failed reply. */
  label: string;
  text: string;
  action?: { href: string; label: string };
};

const PROVIDERS = { href: "#/providers", label: "Open Providers" };

/** Seconds to wait, from `details` (retryAfterMs / retryAfterSeconds / retryAfter) or the message. */
export function waitSeconds(e: WireError): number | null {
  const d = (e.details ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);
  const ms = num(d.retryAfterMs);
  if (ms !== null) return Math.ceil(ms / 1000);
  const s = num(d.retryAfterSeconds) ?? num(d.retryAfter);
  if (s !== null) return Math.ceil(s);
  const m = /retry(?:[- ]after| in)?:?\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)?\b/i.exec(e.message);
  if (!m) return null;
  const n = Number(m[1]);
  return Math.ceil(m[2] === "ms" ? n / 1000 : n);
}

const inSeconds = (e: WireError): string => {
  const s = waitSeconds(e);
  return s === null ? "" : ` (retry in ${s} s)`;
};

export function explain(e: WireError): Explained {
  // `forbidden` (a key used outside its scopes) is compared as a string: the gateway's message
  // names the scope it needs, and is kept as the detail.
  if ((e.code as string) === "forbidden") {
    return { label: "Not allowed", text: "The API key this client uses does not have the scope this needs." };
  }
  switch (e.code) {
    case "provider_auth":
      return { label: "Failed", text: "The provider refused the API key: it is missing, invalid or revoked.", action: PROVIDERS };
    case "model_unknown":
      return { label: "Failed", text: "That model is not known to cairn or its provider. Pick another model." };
    case "model_not_configured":
      return { label: "Failed", text: "No model is configured yet.", action: PROVIDERS };
    case "provider_rate_limited":
      return { label: "Failed", text: `The provider is rate limiting requests${inSeconds(e)}. Try again then, or add a fallback model.` };
    case "provider_overloaded":
      return { label: "Failed", text: "The provider is overloaded right now. Try again in a moment, or add a fallback model." };
    case "provider_unreachable":
      return { label: "Failed", text: "Could not reach the provider. Check the network and its base URL.", action: PROVIDERS };
    case "provider_stream_cut":
      return { label: "Cut off", text: "The reply was cut off — what arrived is kept." };
    case "context_too_long":
      return {
        label: "Failed",
        text: "The conversation no longer fits this model's context window. Start a new chat or pick a model with a larger one.",
      };
    case "model_no_vision":
      return { label: "Failed", text: "This model cannot see images. Switch to a vision model, or remove the images and send again." };
    case "model_load_failed":
      return { label: "Failed", text: "The local model could not be loaded (file, architecture or memory).", action: PROVIDERS };
    default:
      return { label: "Failed", text: "" };
  }
}

/** Why a model was given up, for a fallback notice: "was rate limited (retry in 7 s)". */
export function switchReason(e: WireError): string {
  switch (e.code) {
    case "provider_rate_limited":
      return `was rate limited${inSeconds(e)}`;
    case "provider_overloaded":
      return "was overloaded";
    case "provider_unreachable":
      return "could not be reached";
    case "timeout":
      return "timed out";
    default:
      return `failed (${e.code})`;
  }
}
