import { CairnError, toWireError, type LiveSessionMessage, type Usage, type WireError } from "../../schemas/index.ts";
import { observeCompletion, type ConversationMessage, type ToolCall, type ToolSpec } from "../llm/index.ts";
import { exhausted, skipped, streamCut, type Attempt } from "./fallback.errors.ts";
import { fallbackChain, isRetryable } from "./fallback.policy.ts";
import type { CallModelParams } from "./run.machine.ts";
import type { RunEffectDeps } from "./run.deps.ts";
import { liveDeltas } from "./live.deltas.ts";
import { imagesAsNotes } from "./run.attachments.ts";
import { offeredSpecs } from "./mcp.offer.ts";
import { accessibleSpecs } from "./access.policy.ts";
import { separatorAfter } from "./run.text.ts";
import type { RunWork } from "./run.work.ts";

/** A model call that failed after `streamed` deltas (0: nothing reached the user). */
export class AttemptFailed extends Error {
  constructor(
    readonly cause: unknown,
    readonly streamed: number,
  ) {
    super("model call failed");
  }
}

/** One model response: what it said, the tool calls it asked for, its tokens. */
export interface Response {
  readonly text: string;
  readonly calls: readonly ToolCall[];
  readonly usage: Usage | null;
  readonly finishReason: string;
}

type Live = (sessionKey: string, m: LiveSessionMessage) => void;

/**
 * One model response of a run, down the fallback chain (the run's model, then `[providers]
 * fallback`) from the model the run is on. A model that fails with a retryable error before
 * anything streamed is given up (`switch_model`, a durable event with its cooldown, then a live
 * notice) and the next one not cooling down is tried. Once a delta has reached the user the run
 * never switches — two answers spliced together would be worse than a marked partial one
 * (`provider_stream_cut`). Non-retryable errors end the run at once (through `fail`).
 *
 * Resolves undefined when the run was ended here or elsewhere meanwhile.
 */
export const modelResponder = (deps: RunEffectDeps, live: Live) => {
  /** Streams one model's reply (text deltas live, into `w.text`); throws `AttemptFailed`. */
  const streamFrom = async (
    model: string,
    p: CallModelParams,
    w: RunWork,
    messages: readonly ConversationMessage[],
    system: string | undefined,
  ): Promise<Response> => {
    const first = w.nextDelta;
    // Text of separate model calls reads as separate paragraphs, live and in the record: the
    // separator goes out with the first delta of this call that says anything.
    let sepDue = w.text.length > 0;
    let text = "";
    const calls: ToolCall[] = [];
    const out = liveDeltas((t) => live(p.sessionKey, { type: "run.delta", runId: p.runId, index: w.nextDelta++, text: t }));
    const delta = (t: string) => {
      w.text += t;
      out.write(t);
    };
    try {
      const resolved = deps.resolveModel(model);
      // Local models have no tools; everyone else gets them on every request (Anthropic refuses a
      // history with tool turns otherwise).
      // The session's MCP toggle is read per call: switching a server off applies from the next step.
      const tools: ToolSpec[] =
        resolved.provider.id === "local"
          ? []
          : accessibleSpecs(offeredSpecs(deps.agent.tools, await deps.sessionMcp?.(p.sessionKey)), deps.agent.tools, p.access);
      const stream = resolved.provider.stream({
        model: resolved.model,
        messages: deps.vision?.(model) === false ? imagesAsNotes(messages, model) : messages,
        signal: w.abort.signal,
        ...(tools.length > 0 ? { tools } : {}),
        ...(system ? { system } : {}),
        ...(deps.maxTokens ? { maxTokens: deps.maxTokens } : {}),
      });
      for await (const chunk of observeCompletion(stream, { provider: resolved.providerId, model: resolved.model }, deps.metrics)) {
        // Switch on every kind: a chunk kind added to the port later must not pass for "done".
        switch (chunk.type) {
          case "delta":
            if (sepDue && chunk.text.length > 0) {
              sepDue = false;
              const sep = separatorAfter(w.text);
              if (sep) delta(sep);
            }
            text += chunk.text;
            delta(chunk.text);
            break;
          case "tool_call_start":
          case "tool_call_delta":
            break;
          case "tool_call":
            calls.push({ id: chunk.id, name: chunk.name, arguments: chunk.arguments });
            break;
          case "done":
            out.close();
            return { usage: chunk.usage, finishReason: chunk.finishReason, text, calls };
        }
      }
      throw new CairnError("provider_error", "the provider ended the stream without finishing the reply");
    } catch (e) {
      out.close();
      throw new AttemptFailed(e, w.nextDelta - first);
    }
  };

  return async (
    p: CallModelParams,
    w: RunWork,
    messages: readonly ConversationMessage[],
    system: string | undefined,
    fail: (error: WireError) => Promise<void>,
  ): Promise<Response | undefined> => {
    const chain = fallbackChain(p.startModel, deps.fallback);
    let pos = Math.max(0, chain.indexOf(p.model));
    // Cooldowns only choose among alternatives: a lone model is always tried.
    const cooling = (m: string) => (chain.length > 1 ? deps.cooldowns.active(m, deps.now()) : null);
    const cools = chain.map((m) => ({ m, c: cooling(m) }));
    if (p.iteration === 1 && cools.every((x) => x.c)) {
      await fail(
        exhausted(
          cools.flatMap((x) => (x.c ? [skipped(x.m, x.c)] : [])),
          deps.now(),
        ),
      );
      return undefined;
    }
    const textBefore = w.text.length;
    const tried: Attempt[] = [];
    for (;;) {
      const model = chain[pos];
      if (w.abort.signal.aborted) throw w.abort.signal.reason;
      let attempt: Attempt;
      const cool = cooling(model);
      if (cool) {
        attempt = skipped(model, cool);
      } else {
        try {
          const done = await streamFrom(model, p, w, messages, system);
          deps.cooldowns.succeeded(model);
          return done;
        } catch (e) {
          if (!(e instanceof AttemptFailed)) throw e;
          if (w.abort.signal.aborted) throw w.abort.signal.reason;
          const error = toWireError(e.cause);
          if (e.streamed > 0) return void (await fail(streamCut(error, w.text.length - textBefore)));
          if (!isRetryable(error)) return void (await fail(error));
          attempt = {
            model,
            error,
            cooldownUntil: chain.length > 1 ? deps.cooldowns.nextUntil(model, error, deps.now()) : null,
            skipped: false,
          };
        }
      }
      tried.push(attempt);
      const next = chain[pos + 1];
      if (next === undefined) {
        if (chain.length === 1) return void (await fail(attempt.error));
        await fail(exhausted(tried, deps.now()));
        for (const t of tried)
          if (!t.skipped && t.cooldownUntil !== null) deps.cooldowns.failed(t.model, t.cooldownUntil, t.error, deps.now());
        return undefined;
      }
      const until = attempt.cooldownUntil ?? deps.now();
      const r = (await deps.dispatch("run", p.runId, "switch_model", {
        from: model,
        to: next,
        error: attempt.error,
        cooldownUntil: until,
      })) as { switched?: boolean };
      // Not switched: the run was ended meanwhile (a cancel, another host); it is not ours any more.
      if (!r?.switched) return undefined;
      deps.cooldowns.failed(model, until, attempt.error, deps.now());
      deps.metrics?.llm.fallbacks.inc({ from: model, to: next });
      live(p.sessionKey, { type: "run.model_switched", runId: p.runId, from: model, to: next, error: attempt.error });
      pos++;
    }
  };
};
