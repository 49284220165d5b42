import type { NatsConnection } from "@nats-io/transport-node";
import { publishLive } from "../../bus/index.ts";
import { CairnError, toWireError, type LiveSessionMessage, type WireError } from "../../schemas/index.ts";
import type { ChatMessage, ResolvedModel } from "../llm/index.ts";
import type { TranscriptMessage } from "../session/session.machine.ts";
import type { Dispatch } from "../runtime/dispatch.ts";
import type { CooldownTracker } from "./cooldown.tracker.ts";
import { fallbackChain, humanWait, isRetryable } from "./fallback.policy.ts";

export interface RunEffectDeps {
  readonly nc: NatsConnection;
  readonly dispatch: Dispatch;
  readonly resolveModel: (modelId: string) => ResolvedModel;
  readonly transcript: (sessionKey: string) => Promise<readonly TranscriptMessage[]>;
  readonly systemPrompt: string | undefined;
  readonly maxTokens: number | undefined;
  /** Model calls in flight, so shutdown can interrupt them cleanly. */
  readonly inFlight: Map<string, AbortController>;
  /** `[providers] fallback`: tried in order after the run's own model. */
  readonly fallback: readonly string[];
  readonly cooldowns: CooldownTracker;
  /** Resolves once the cooldowns have been rebuilt from the log (never rejects). */
  readonly cooldownsReady: Promise<void>;
  readonly now: () => number;
}

/** Thrown into a model call when the gateway is shutting down. */
export const SHUTDOWN = new CairnError("run_interrupted", "the gateway stopped while this reply was streaming");

/** What the model sees: the transcript up to the triggering message, failed replies left out. */
export const promptMessages = (messages: readonly TranscriptMessage[], triggerId: string): ChatMessage[] => {
  const end = messages.findIndex((m) => m.id === triggerId);
  const upTo = end === -1 ? messages : messages.slice(0, end + 1);
  return upTo
    .filter((m) => m.role === "user" || (m.status === "complete" && m.text.length > 0))
    .map((m) => ({ role: m.role, text: m.text }));
};

/** One model given up on: failed with a retryable error, or skipped while cooling down. */
interface Attempt {
  readonly model: string;
  readonly error: WireError;
  readonly cooldownUntil: number | null;
  readonly skipped: boolean;
}

/** A model call that failed after `streamed` deltas (0: nothing reached the user). */
class AttemptFailed extends Error {
  constructor(
    readonly cause: unknown,
    readonly streamed: number,
  ) {
    super("model call failed");
  }
}

type CallParams = { runId: string; sessionKey: string; model: string; triggerMessageId: string };

/**
 * The run's effects. `callModel` streams the reply, publishing each delta live, and ends the run
 * with exactly one of complete / fail / interrupt; `reportEnd` records the end on the session.
 *
 * Fallbacks: the chain is the run's model then `[providers] fallback`. A model that fails with a
 * retryable error before anything streamed is given up (`switch_model`, a durable event with its
 * cooldown, then a live notice) and the next one not cooling down is tried. Once a delta has
 * reached the user the run never switches — two answers spliced together would be worse than a
 * marked partial one (`provider_stream_cut`). Non-retryable errors end the run at once.
 */
export const runEffects = (deps: RunEffectDeps) => {
  const live = (key: string, m: LiveSessionMessage) => publishLive(deps.nc, key, m);

  /** Streams one model's reply into `out`; throws `AttemptFailed` with what had streamed. */
  const streamFrom = async (model: string, p: CallParams, messages: ChatMessage[], signal: AbortSignal, out: { text: string; index: number }) => {
    try {
      const resolved = deps.resolveModel(model);
      for await (const chunk of resolved.provider.stream({
        model: resolved.model,
        messages,
        signal,
        ...(deps.systemPrompt ? { system: deps.systemPrompt } : {}),
        ...(deps.maxTokens ? { maxTokens: deps.maxTokens } : {}),
      })) {
        // Switch on every kind: a chunk kind added to the port later must not pass for "done".
        switch (chunk.type) {
          case "delta":
            out.text += chunk.text;
            live(p.sessionKey, { type: "run.delta", runId: p.runId, index: out.index++, text: chunk.text });
            break;
          case "done":
            return { usage: chunk.usage, finishReason: chunk.finishReason };
        }
      }
      throw new CairnError("provider_error", "the provider ended the stream without finishing the reply");
    } catch (e) {
      throw new AttemptFailed(e, out.index);
    }
  };

  const callModel = async (p: CallParams) => {
    const abort = new AbortController();
    deps.inFlight.set(p.runId, abort);
    const out = { text: "", index: 0 };
    const fail = (error: WireError) => deps.dispatch("run", p.runId, "fail", { error, partialText: out.text });
    try {
      await deps.cooldownsReady;
      const messages = promptMessages(await deps.transcript(p.sessionKey), p.triggerMessageId);
      live(p.sessionKey, { type: "run.started", runId: p.runId, messageId: p.triggerMessageId });
      const chain = fallbackChain(p.model, deps.fallback);
      // Cooldowns only choose among alternatives: a lone model is always tried.
      const cooling = (m: string) => (chain.length > 1 ? deps.cooldowns.active(m, deps.now()) : null);
      if (chain.every((m) => cooling(m))) {
        const tried = chain.map((m) => skipped(m, cooling(m)!));
        return void (await fail(exhausted(tried, deps.now())));
      }
      const tried: Attempt[] = [];
      for (let i = 0; ; i++) {
        const model = chain[i];
        if (abort.signal.aborted) throw abort.signal.reason;
        let attempt: Attempt;
        const cool = cooling(model);
        if (cool) {
          attempt = skipped(model, cool);
        } else {
          try {
            const done = await streamFrom(model, p, messages, abort.signal, out);
            await deps.dispatch("run", p.runId, "complete", { text: out.text, usage: done.usage, finishReason: done.finishReason });
            deps.cooldowns.succeeded(model);
            return;
          } catch (e) {
            if (!(e instanceof AttemptFailed)) throw e;
            if (abort.signal.aborted) throw abort.signal.reason;
            const error = toWireError(e.cause);
            if (e.streamed > 0) return void (await fail(streamCut(error, out.text.length)));
            if (!isRetryable(error)) return void (await fail(error));
            const now = deps.now();
            attempt = { model, error, cooldownUntil: chain.length > 1 ? deps.cooldowns.nextUntil(model, error, now) : null, skipped: false };
          }
        }
        tried.push(attempt);
        const next = chain[i + 1];
        if (next === undefined) {
          if (chain.length === 1) return void (await fail(attempt.error));
          await fail(exhausted(tried, deps.now()));
          for (const t of tried) if (!t.skipped && t.cooldownUntil !== null) deps.cooldowns.failed(t.model, t.cooldownUntil, t.error, deps.now());
          return;
        }
        const until = attempt.cooldownUntil ?? deps.now();
        const r = (await deps.dispatch("run", p.runId, "switch_model", { from: model, to: next, error: attempt.error, cooldownUntil: until })) as { switched?: boolean };
        // Not switched: the run was ended meanwhile (recovery, a second host); it is not ours any more.
        if (!r?.switched) return;
        deps.cooldowns.failed(model, until, attempt.error, deps.now());
        live(p.sessionKey, { type: "run.model_switched", runId: p.runId, from: model, to: next, error: attempt.error });
      }
    } catch (e) {
      if (abort.signal.aborted && abort.signal.reason === SHUTDOWN) {
        await deps.dispatch("run", p.runId, "interrupt", { reason: SHUTDOWN.message, partialText: out.text });
      } else {
        await fail(toWireError(e instanceof AttemptFailed ? e.cause : e));
      }
    } finally {
      deps.inFlight.delete(p.runId);
    }
  };

  return {
    callModel,
    reportEnd: async (p: { sessionKey: string; runId: string; status: string; text: string; error?: unknown }) => {
      await deps.dispatch("session", p.sessionKey, "end_run", {
        runId: p.runId,
        status: p.status,
        text: p.text,
        ...(p.error ? { error: p.error } : {}),
      });
    },
  };
};

/** A model passed over without a request because it is cooling down. */
const skipped = (model: string, c: { until: number; error: WireError }): Attempt => ({
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
const streamCut = (error: WireError, chars: number): WireError => error.code === "provider_stream_cut" ? error : ({
  code: "provider_stream_cut",
  message: error.code === "provider_error" && /cut off/.test(error.message)
    ? error.message
    : `the reply stopped after ${chars} character${chars === 1 ? "" : "s"}: ${error.message}`,
  details: { ...(isRecord(error.details) ? error.details : {}), cause: error.code },
});

/** Every model of the chain failed or is cooling down: the last error, with the whole story. */
const exhausted = (tried: readonly Attempt[], now: number): WireError => {
  const last = tried[tried.length - 1].error;
  const lines = tried.map((t) => {
    const wait = t.cooldownUntil !== null && t.cooldownUntil > now ? `; cooling down for ${humanWait(t.cooldownUntil - now)}` : "";
    return t.skipped ? `${t.model}: skipped, cooling down for ${humanWait((t.cooldownUntil ?? now) - now)} after [${t.error.code}]` : `${t.model}: [${t.error.code}] ${t.error.message}${wait}`;
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
