import type { Method, WireError } from "../../schemas/index.ts";

/**
 * Params that carry secrets (provider keys). The edge never logs params at all; this exists for
 * the paths that could still echo one: a decode error quoting the offending value, and an error
 * from the service that (by a bug there) repeats what it was sent.
 */
const SECRET_FIELDS: Partial<Record<Method, readonly string[]>> = {
  "providers.setKey": ["key"],
};

/** Secrets this short would match ordinary words; an error mentioning one is withheld whole. */
const MIN_REPLACEABLE = 8;

export const hasSecrets = (method: Method): boolean => SECRET_FIELDS[method] !== undefined;

/** The secret string values in `params` (raw, undecoded input included). */
export const secretsIn = (method: Method, params: unknown): string[] => {
  const fields = SECRET_FIELDS[method];
  if (!fields || typeof params !== "object" || params === null) return [];
  return fields.map((f) => (params as Record<string, unknown>)[f]).filter((v): v is string => typeof v === "string" && v.length > 0);
};

/**
 * A copy of `params` with each secret replaced by asterisks of the same length, so decoding it
 * fails (or not) exactly as the original would, with a message that cannot quote the secret.
 */
export const maskSecrets = (method: Method, params: unknown): unknown => {
  const fields = SECRET_FIELDS[method];
  if (!fields || typeof params !== "object" || params === null || Array.isArray(params)) return params;
  const copy: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const f of fields) if (typeof copy[f] === "string") copy[f] = "*".repeat((copy[f] as string).length);
  return copy;
};

const WITHHELD = "details withheld: they could contain the key";

/** `text` without any of `secrets` (also in their JSON-escaped form). */
export const redactText = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const s of secrets) {
    const forms = [s, JSON.stringify(s).slice(1, -1)];
    if (!forms.some((f) => out.includes(f))) continue;
    if (s.length < MIN_REPLACEABLE) return WITHHELD;
    for (const f of forms) out = out.split(f).join("[redacted]");
  }
  return out;
};

/** A wire error safe to send and log: secrets removed from the message, details dropped if they hold one. */
export const redactError = (error: WireError, secrets: readonly string[]): WireError => {
  if (secrets.length === 0) return error;
  const message = redactText(error.message, secrets);
  if (error.details === undefined) return { code: error.code, message };
  const details = JSON.stringify(error.details) ?? "";
  return redactText(details, secrets) === details ? { code: error.code, message, details: error.details } : { code: error.code, message };
};
