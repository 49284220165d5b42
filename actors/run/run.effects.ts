import type { NatsConnection } from "@nats-io/transport-node";
import { publishLive } from "../../bus/index.ts";
import { CairnError, toWireError } from "../../schemas/index.ts";
import type { ChatMessage, ResolvedModel } from "../llm/index.ts";
import type { TranscriptMessage } from "../session/session.machine.ts";
import type { Dispatch } from "../runtime/dispatch.ts";

export interface RunEffectDeps {
  readonly nc: NatsConnection;
  readonly dispatch: Dispatch;
  readonly resolveModel: (modelId: string) => ResolvedModel;
  readonly transcript: (sessionKey: string) => Promise<readonly TranscriptMessage[]>;
  readonly systemPrompt: string | undefined;
  readonly maxTokens: number | undefined;
  /** Model calls in flight, so shutdown can interrupt them cleanly. */
  readonly inFlight: Map<string, AbortController>;
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

/**
 * The run's effects. `callModel` streams the reply, publishing each delta live, and ends the run
 * with exactly one of complete / fail / interrupt; `reportEnd` records the end on the session.
 */
export const runEffects = (deps: RunEffectDeps) => ({
  callModel: async (p: { runId: string; sessionKey: string; model: string; triggerMessageId: string }) => {
    const abort = new AbortController();
    deps.inFlight.set(p.runId, abort);
    let text = "";
    let index = 0;
    try {
      const resolved = deps.resolveModel(p.model);
      const messages = promptMessages(await deps.transcript(p.sessionKey), p.triggerMessageId);
      publishLive(deps.nc, p.sessionKey, { type: "run.started", runId: p.runId, messageId: p.triggerMessageId });
      for await (const chunk of resolved.provider.stream({
        model: resolved.model,
        messages,
        signal: abort.signal,
        ...(deps.systemPrompt ? { system: deps.systemPrompt } : {}),
        ...(deps.maxTokens ? { maxTokens: deps.maxTokens } : {}),
      })) {
        if (chunk.type === "delta") {
          text += chunk.text;
          publishLive(deps.nc, p.sessionKey, { type: "run.delta", runId: p.runId, index: index++, text: chunk.text });
        } else {
          await deps.dispatch("run", p.runId, "complete", { text, usage: chunk.usage, finishReason: chunk.finishReason });
          return;
        }
      }
      throw new CairnError("provider_error", "the provider ended the stream without finishing the reply");
    } catch (e) {
      if (abort.signal.aborted && abort.signal.reason === SHUTDOWN) {
        await deps.dispatch("run", p.runId, "interrupt", { reason: SHUTDOWN.message, partialText: text });
      } else {
        await deps.dispatch("run", p.runId, "fail", { error: toWireError(e), partialText: text });
      }
    } finally {
      deps.inFlight.delete(p.runId);
    }
  },
  reportEnd: async (p: { sessionKey: string; runId: string; status: string; text: string; error?: unknown }) => {
    await deps.dispatch("session", p.sessionKey, "end_run", {
      runId: p.runId,
      status: p.status,
      text: p.text,
      ...(p.error ? { error: p.error } : {}),
    });
  },
});
