import { CairnError, type Usage } from "../../schemas/index.ts";
import { observeCompletion } from "../llm/index.ts";
import type { Compaction, TranscriptMessage } from "../session/index.ts";
import {
  afterCompaction,
  planCompaction,
  promptBudget,
  promptTokens,
  SUMMARY_SYSTEM,
  summaryNote,
  summaryRequest,
  type CompactionPlan,
} from "./compaction.ts";
import type { RunEffectDeps } from "./run.deps.ts";
import type { CompactParams } from "./run.effects.types.ts";
import type { RunWork } from "./run.work.ts";

/** What a summary cost and said. */
export interface Summary {
  readonly text: string;
  readonly usage: Usage | null;
}

/** The window assumed for a model nobody reports a window for, when `/compact` is asked for by hand. */
const UNKNOWN_WINDOW = 32_000;

/**
 * One summary LLM call on `model` (no tools, no fallback: a compaction that fails fails the step
 * that needed it, and the user sees why). Its text is collected, not streamed to the chat: the
 * chat shows the recorded summary once it is an event.
 */
export const summarize = async (
  deps: Pick<RunEffectDeps, "resolveModel" | "metrics">,
  model: string,
  plan: CompactionPlan,
  previous: Compaction | null,
  window: number,
  signal?: AbortSignal,
): Promise<Summary> => {
  const resolved = deps.resolveModel(model);
  const messages = summaryRequest(plan, previous, Math.floor(window * 0.6));
  // The summary is bounded too (a quarter of the window), or it would outgrow the turns it replaces.
  const stream = resolved.provider.stream({
    model: resolved.model,
    messages,
    system: SUMMARY_SYSTEM,
    maxTokens: Math.max(256, Math.floor(window / 4)),
    ...(signal ? { signal } : {}),
  });
  let text = "";
  for await (const chunk of observeCompletion(stream, { provider: resolved.providerId, model: resolved.model }, deps.metrics)) {
    if (chunk.type === "delta") text += chunk.text;
    else if (chunk.type === "done") {
      if (text.trim() === "") throw new CairnError("provider_error", "the model returned an empty summary");
      return { text: text.trim(), usage: chunk.usage };
    }
  }
  throw new CairnError("provider_error", "the provider ended the summary's stream without finishing it");
};

/** `session.compacted`'s data for a plan and its summary. */
export const compactedEvent = (
  o: { compactionId: string; runId: string | null; model: string },
  plan: CompactionPlan,
  summary: string,
  tokensBefore: number,
  rest: readonly TranscriptMessage[],
) => ({
  compactionId: o.compactionId,
  runId: o.runId,
  summary,
  fromMessageId: plan.fromMessageId,
  throughMessageId: plan.throughMessageId,
  messages: plan.messages,
  model: o.model,
  tokensBefore,
  tokensAfter: promptTokens(
    rest.map((m) => ({ role: m.role, text: m.text })),
    summaryNote({ summary, messages: plan.messages }),
  ),
});

/**
 * `/compact` (WS `sessions.compact`, `cairn sessions compact KEY`): every finished turn of an idle
 * session is summarised now. A request and its answer, like a query: nothing is decided before the
 * summary exists, so a crash mid-call leaves nothing to repeat — only the `session.compacted` it
 * ends with is a fact.
 */
export const compactNow = async (
  deps: Pick<RunEffectDeps, "resolveModel" | "metrics" | "contextWindow" | "maxTokens" | "compactedTranscript" | "dispatch">,
  o: { sessionKey: string; model: string; compactionId: string },
): Promise<{ compacted: boolean; messages: number; tokensBefore: number; tokensAfter: number }> => {
  const { messages, compaction } = await deps.compactedTranscript(o.sessionKey);
  const plan = planCompaction(messages, compaction, "none");
  if (!plan) return { compacted: false, messages: 0, tokensBefore: 0, tokensAfter: 0 };
  const window = (await deps.contextWindow?.(o.model).catch(() => null)) ?? UNKNOWN_WINDOW;
  const before = promptTokens(
    plan.replaced.map((m) => ({ role: m.role, text: m.text })),
    compaction ? summaryNote(compaction) : undefined,
  );
  const summary = await summarize(deps, o.model, plan, compaction, promptBudget(window, deps.maxTokens));
  const data = compactedEvent({ compactionId: o.compactionId, runId: null, model: o.model }, plan, summary.text, before, []);
  await deps.dispatch("session", o.sessionKey, "record_compaction", data);
  return { compacted: true, messages: data.messages, tokensBefore: data.tokensBefore, tokensAfter: data.tokensAfter };
};

type Work = RunWork;

/**
 * The run's `compact` effect: summarise the turns before the message being answered so the
 * model call `p.iteration` fits, record the summary on the session (`session.compacted`, by the
 * compaction's id), then let the call go on (`finish_compaction`). Adopted after a crash
 * (`resume`), a summary the session already holds is used as it is and none is asked for again;
 * with none recorded, the summary call was cut off and the run ends interrupted rather than
 * paying for the same summary twice.
 */
export const runCompactor =
  (
    deps: RunEffectDeps,
    workOf: (p: { runId: string; sessionKey: string; startedAt: number }, text: string) => Promise<Work>,
    settle: (p: { runId: string; sessionKey: string }, w: Work, e: unknown, mayLeave: boolean) => Promise<void>,
    interrupt: (p: { runId: string; sessionKey: string; startedAt: number }, reason: string) => Promise<void>,
  ) =>
  async (p: CompactParams): Promise<void> => {
    const finish = () => deps.dispatch("run", p.runId, "finish_compaction", { compactionId: p.compactionId });
    const { messages, compaction } = await deps.compactedTranscript(p.sessionKey);
    if (compaction?.compactionId === p.compactionId) return void (await finish());
    if (p.resume) return interrupt(p, "the gateway stopped while it was summarising older turns of this conversation");
    const w = await workOf(p, p.text);
    try {
      if (w.abort.signal.aborted) throw w.abort.signal.reason;
      const window = (await deps.contextWindow?.(p.model).catch(() => null)) ?? null;
      if (window === null) throw new CairnError("internal", `the context window of ${p.model} is not known any more`);
      const budget = promptBudget(window, deps.maxTokens);
      const upTo = messages.findIndex((m) => m.id === p.triggerMessageId);
      const transcript = upTo === -1 ? messages : messages.slice(0, upTo + 1);
      // Recent turns keep at most half the prompt's room; the summary and the run's own steps share the rest.
      const plan = planCompaction(transcript, compaction, Math.floor(budget / 2));
      if (!plan) return void (await finish());
      const before = promptTokens(
        afterCompaction(transcript, compaction).map((m) => ({ role: m.role, text: m.text })),
        compaction ? summaryNote(compaction) : undefined,
      );
      const summary = await summarize(deps, p.model, plan, compaction, budget, w.abort.signal);
      const rest = transcript.slice(transcript.findIndex((m) => m.id === plan.throughMessageId) + 1);
      const data = compactedEvent({ compactionId: p.compactionId, runId: p.runId, model: p.model }, plan, summary.text, before, rest);
      await deps.dispatch("session", p.sessionKey, "record_compaction", data);
      await finish();
    } catch (e) {
      await settle(p, w, e, false);
    }
  };

/**
 * `cmd.session.<key>.compact`, routed by the actor system (the summary is an LLM call, not a
 * decision of the session): refused while a reply streams (its prompt is being built from these
 * turns) and for a session that does not exist.
 */
export const compactSession = async (
  deps: Parameters<typeof compactNow>[0],
  o: { sessionKey: string; state: string; model: string; compactionId: string },
  _params: unknown,
) => {
  if (o.state === "new" || o.state === "deleted") throw new CairnError("session_not_found", `no session '${o.sessionKey}'`);
  if (o.state === "running")
    throw new CairnError("session_busy", `session '${o.sessionKey}' is answering a message; compact it once the reply has finished`);
  return { sessionKey: o.sessionKey, ...(await compactNow(deps, o)) };
};
