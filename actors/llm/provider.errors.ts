import { CairnError } from "../../schemas/index.ts";

/**
 * How a provider call failed, independent of the SDK that reported it. Each provider classifies
 * its SDK's errors into this; `toCairnError` turns it into the stable codes the rest of cairn
 * (and the user) sees.
 */
export type ProviderFailure =
  /** The API answered with an HTTP error status. */
  | { kind: "status"; status: number; headers: Headers | undefined; message: string; code?: string; type?: string }
  /** No HTTP answer at all: refused, DNS, reset before headers, or the headers timeout. */
  | { kind: "connection"; cause: unknown; timedOut: boolean }
  /** The provider reported an error inside an opened stream (e.g. Anthropic `event: error`). */
  | { kind: "stream-error"; message: string; type?: string }
  /** The stream ended or broke before the provider said the reply was finished. */
  | { kind: "cut-off"; cause?: unknown }
  /** The stream carried something that is not the provider's protocol. */
  | { kind: "malformed"; cause: unknown }
  /** Anything else the SDK threw (a bug or an SDK-side refusal); kept visible, never swallowed. */
  | { kind: "unexpected"; cause: unknown };

export interface FailureContext {
  providerId: string;
  baseURL: string;
  keyVariable: string;
  model: string;
  /** Scrubbed from every message: error bodies of some servers echo the key they received. */
  apiKey: string;
  /** Characters of reply text received before the failure (said in cut-off messages). */
  receivedChars?: number;
}

/**
 * Removes the API key, and anything shaped like one, from text bound for users and logs. A short
 * key (test servers accept anything) is removed only as a whole word, so it does not shred text.
 */
export function redact(text: string, apiKey: string): string {
  let out = text;
  if (apiKey.length >= 8) out = out.split(apiKey).join("[redacted]");
  else if (apiKey.length > 0) {
    const escaped = apiKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out.replace(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, "g"), "[redacted]");
  }
  return out.replace(/\bsk-[A-Za-z0-9_*-]{8,}/g, "[redacted]");
}

/** A base URL fit for messages: any `user:password@` in it is dropped (it may hold a key). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, url.endsWith("/") ? "/" : "");
  } catch {
    return url;
  }
}

/** Seconds from `retry-after-ms` / `retry-after` (seconds or an HTTP date); null when absent. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return null;
  const seconds = Number(raw.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The innermost cause's message (or code): "connect ECONNREFUSED 127.0.0.1:9", "other side closed". */
export function rootCause(e: unknown): string {
  let cur: unknown = e;
  let last = "";
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof err.message === "string" && err.message) last = err.message;
    else if (typeof err.code === "string") last = err.code;
    cur = typeof cur === "object" ? err.cause : undefined;
  }
  return last || String(e);
}

/**
 * The wording providers use when a prompt does not fit: OpenAI/Groq `context_length_exceeded`
 * ("This model's maximum context length is ..."), Anthropic "prompt is too long", Mistral "...
 * maximum context length", vLLM/llama.cpp "exceeds the context window" / "input is too long".
 */
const CONTEXT_TOO_LONG =
  /context[_ ]length[_ ]exceeded|maximum context length|prompt is too long|(exceeds?|larger than|longer than) (the )?(model'?s? )?(maximum )?context( window| size| length)?|context window|input is too long|reduce the length of the (messages|prompt)/i;

const isContextTooLong = (f: { status: number; message: string; code?: string }): boolean =>
  f.code === "context_length_exceeded" || ([400, 413, 422].includes(f.status) && CONTEXT_TOO_LONG.test(f.message));

/** 529 is Anthropic's "overloaded"; 503 is how OpenAI and most gateways say the same. */
const isOverloaded = (f: { status?: number; type?: string; message: string }): boolean =>
  f.status === 529 || f.status === 503 || f.type === "overloaded_error" || (f.status === undefined && /\boverloaded\b/i.test(f.message));

export function toCairnError(f: ProviderFailure, ctx: FailureContext): CairnError {
  const p = ctx.providerId;
  const clean = (s: string): string => redact(s, ctx.apiKey);
  switch (f.kind) {
    case "status": {
      const said = clean(f.message);
      const details = { provider: p, status: f.status, ...(f.type ? { type: f.type } : {}) };
      if (f.status === 401)
        return new CairnError("provider_auth", `invalid API key for ${p}: check ${ctx.keyVariable} (${p} said: ${said})`, details);
      if (f.status === 403)
        return new CairnError(
          "provider_auth",
          `the API key for ${p} is not allowed to do this: check ${ctx.keyVariable} (${p} said: ${said})`,
          details,
        );
      if (f.status === 404 || f.code === "model_not_found")
        return new CairnError(
          "model_unknown",
          `${p} does not know the model "${ctx.model}" (${p} said: ${said}); check the model name, and the base URL ${ctx.baseURL} if it is not ${p}'s own API`,
          { ...details, model: ctx.model },
        );
      if (isContextTooLong(f))
        return new CairnError(
          "context_too_long",
          `the conversation is too long for ${ctx.model} on ${p}: start a new session or pick a model with a larger context window (${p} said: ${said})`,
          { ...details, model: ctx.model },
        );
      if (f.status === 429) {
        const retry = retryAfterSeconds(f.headers);
        const when = retry === null ? "" : `; retry after ${retry} s`;
        return new CairnError("provider_rate_limited", `${p} is rate limiting this key${when} (${p} said: ${said})`, {
          ...details,
          retryAfterSeconds: retry,
        });
      }
      if (isOverloaded(f)) {
        const retry = retryAfterSeconds(f.headers);
        const when = retry === null ? "" : `; retry after ${retry} s`;
        return new CairnError("provider_overloaded", `${p} is overloaded right now${when} (${p} said: ${said})`, {
          ...details,
          retryAfterSeconds: retry,
        });
      }
      return new CairnError("provider_error", `${p} answered ${f.status}: ${said}`, details);
    }
    case "connection": {
      const why = f.timedOut ? "timed out waiting for a response" : clean(rootCause(f.cause));
      return new CairnError("provider_unreachable", `cannot reach ${p} at ${ctx.baseURL}: ${why}`, {
        provider: p,
        baseURL: ctx.baseURL,
        ...(f.timedOut ? { timedOut: true } : {}),
      });
    }
    case "stream-error": {
      const details = { provider: p, midStream: true, receivedChars: ctx.receivedChars ?? 0, ...(f.type ? { type: f.type } : {}) };
      if (isOverloaded(f))
        return new CairnError("provider_overloaded", `${p} became overloaded mid-reply: ${clean(f.message)}`, {
          ...details,
          retryAfterSeconds: null,
        });
      return new CairnError("provider_error", `${p} reported an error mid-reply: ${clean(f.message)}`, details);
    }
    case "cut-off": {
      const n = ctx.receivedChars;
      const got = n === undefined ? "" : ` after ${n} character${n === 1 ? "" : "s"}`;
      const why = f.cause === undefined ? "the server closed the connection" : clean(rootCause(f.cause));
      return new CairnError("provider_stream_cut", `the ${p} stream was cut off before the reply finished${got} (${why})`, {
        provider: p,
        receivedChars: n ?? 0,
      });
    }
    case "malformed":
      return new CairnError("provider_error", `${p} sent a stream event cairn cannot read: ${clean(rootCause(f.cause))}`, {
        provider: p,
      });
    case "unexpected":
      return new CairnError("provider_error", `the ${p} call failed: ${clean(rootCause(f.cause))}`, { provider: p });
  }
}
