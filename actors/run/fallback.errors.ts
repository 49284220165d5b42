import type { WireError } from "../../schemas/index.ts";
import { humanWait } from "./fallback.policy.ts";

/** One model given up on: failed with a retryable error, or skipped while cooling down. */
export interface Attempt {
  readonly model: string;
  readonly error: WireError;
  readonly cooldownUntil: number | null;
  readonly skipped: boolean;
}

/** A model passed over without a request because it is cooling down. */
export const skipped = (model: string, c: { until: number; error: WireError }): Attempt => ({
  model,
  error: {
    code: c.error.code,
    message: `${model} is cooling down after an earlier failure (${c.error.message})`,
    details: { coolingDown: true, cooldownUntil: c.until },
  },
  cooldownUntil: c.until,
  skipped: true,
});

/** The reply broke after text reached the user: kept as it is and marked, never continued elsewhere. */
export const streamCut = (error: WireError, chars: number): WireError =>
  error.code === "provider_stream_cut"
    ? error
    : {
        code: "provider_stream_cut",
        message:
          error.code === "provider_error" && /cut off/.test(error.message)
            ? error.message
            : `the reply stopped after ${chars} character${chars === 1 ? "" : "s"}: ${error.message}`,
        details: { ...(isRecord(error.details) ? error.details : {}), cause: error.code },
      };

/** Every model of the chain failed or is cooling down: the last error, with the whole story. */
export const exhausted = (tried: readonly Attempt[], now: number): WireError => {
  const last = tried[tried.length - 1].error;
  const lines = tried.map((t) => {
    const wait = t.cooldownUntil !== null && t.cooldownUntil > now ? `; cooling down for ${humanWait(t.cooldownUntil - now)}` : "";
    return t.skipped
      ? `${t.model}: skipped, cooling down for ${humanWait((t.cooldownUntil ?? now) - now)} after [${t.error.code}]`
      : `${t.model}: [${t.error.code}] ${t.error.message}${wait}`;
  });
  return {
    code: last.code,
    message: `no model of the fallback chain could answer — ${lines.join("; ")}`,
    details: {
      ...(isRecord(last.details) ? last.details : {}),
      tried: tried.map((t) => ({ model: t.model, cooldownUntil: t.skipped ? null : t.cooldownUntil, error: t.error })),
    },
  };
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);
