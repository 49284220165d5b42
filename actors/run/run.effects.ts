import { context } from "@opentelemetry/api";
import { publishLive, streamedDeltas, streamedText } from "../../bus/index.ts";
import { CairnError, toWireError, type LiveSessionMessage, type WireError } from "../../schemas/index.ts";
import type { EffectSupervisor } from "../runtime/index.ts";
import { DEFAULT_MAX_ITERATIONS, DEFAULT_RUN_TIMEOUT_MS } from "./agent.options.ts";
import { AttemptFailed, modelResponder } from "./model.call.ts";
import type { RunEffectDeps } from "./run.deps.ts";
import type { CallModelParams, InterruptParams, RunEffects } from "./run.machine.ts";
import { hookIncoming, hookOutgoing, observeRun } from "./run.hooks.ts";
import { promptMessages, systemPrompt, toolTurns } from "./run.prompt.ts";
import { readAttachments } from "./run.attachments.ts";
import { afterCompaction, promptBudget, promptTokens, summaryNote, toolResultChars } from "./compaction.ts";
import { runCompactor } from "./compact.effect.ts";
import { addUsage } from "./run.text.ts";
import { toolRunner } from "./run.tools.effects.ts";
import { RunCancelled, RunWorks, SHUTDOWN, type RunWork } from "./run.work.ts";

/** What the run's effects leave behind for the actor system: cancel and shutdown reach them here. */
export interface RunEffectsHandle {
  readonly effects: RunEffects;
  readonly works: RunWorks;
  /** Turns an effect that threw past its own handling into the run's failure. */
  readonly supervise: EffectSupervisor;
}

/**
 * The run machine's effects. `callModel` asks for one model response and ends the run or records
 * the tool calls it asked for; `runTool` gates and runs one requested call; `interruptOrphan`
 * ends a run adopted mid-step; `reportEnd` records the end on the session. The loop itself — which
 * effect comes next — is the machine's (`run.machine.ts`), never decided here.
 */
export const runEffects = (deps: RunEffectDeps): RunEffectsHandle => {
  const live = (key: string, m: LiveSessionMessage) => publishLive(deps.nc, key, m);
  // The bounds are read when used, so a change in Settings applies to the next run without a restart.
  const works = new RunWorks(async () => {
    const seconds = (await deps.settings?.())?.["agent.timeout"];
    return seconds !== undefined ? seconds * 1000 : (deps.agent.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);
  });
  const iterationLimit = async () =>
    (await deps.settings?.())?.["agent.max_iterations"] ?? deps.agent.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const respond = modelResponder(deps, live);

  /**
   * The run's work here. A run starting here has streamed nothing; one adopted mid-way goes on
   * numbering its live deltas from what the live stream already has (a read that waits for the
   * stream's end, so only then).
   */
  const workOf = (p: { runId: string; sessionKey: string; startedAt: number }, text: string, starting = false) =>
    works.open(p.runId, text, async () =>
      starting ? 0 : (await streamedDeltas(deps.nc, p.sessionKey, p.runId, p.startedAt).catch(() => ({ next: 0 }))).next,
    );

  /** Ends the run (if it still runs) and tells live clients which started calls that cut off. */
  const end = async (p: { runId: string; sessionKey: string }, verb: "fail" | "interrupt" | "cancel", params: object) => {
    const reply = (await deps.dispatch("run", p.runId, verb, params)) as { interrupted?: { callId: string; name: string }[] } | undefined;
    for (const c of reply?.interrupted ?? [])
      live(p.sessionKey, { type: "run.tool", runId: p.runId, callId: c.callId, name: c.name, status: "interrupted" });
  };
  const fail = (p: { runId: string; sessionKey: string }, w: RunWork, error: WireError) => {
    // Sibling effects (parallel calls) stop too: the run is over.
    if (!w.abort.signal.aborted) w.abort.abort(new CairnError(error.code, error.message));
    return end(p, "fail", { error, partialText: w.text });
  };

  /**
   * How an effect that stopped ends the run, by why it stopped: a person (cancelled), the
   * gateway going down (interrupted — unless nothing was running, `mayLeave`: then the run waits
   * for the next start to adopt it), its time budget, or an error.
   */
  const settle = async (p: { runId: string; sessionKey: string }, w: RunWork, e: unknown, mayLeave: boolean) => {
    const reason = w.abort.signal.aborted ? w.abort.signal.reason : undefined;
    if (reason instanceof RunCancelled) return end(p, "cancel", { by: reason.by, partialText: w.text });
    if (reason === SHUTDOWN) return mayLeave ? undefined : end(p, "interrupt", { reason: SHUTDOWN.message, partialText: w.text });
    if (reason instanceof CairnError && reason.code === "timeout") return fail(p, w, reason.toWire());
    return fail(p, w, toWireError(e instanceof AttemptFailed ? e.cause : (reason ?? e)));
  };

  const callModel = async (p: CallModelParams) => {
    const w = await workOf(p, p.text, p.iteration === 1);
    try {
      if (w.abort.signal.aborted) throw w.abort.signal.reason;
      w.text = p.text;
      await deps.cooldownsReady;
      const { messages: all, compaction } = await deps.compactedTranscript(p.sessionKey);
      const open = afterCompaction(all, compaction);
      const summary = open.length !== all.length && compaction ? summaryNote(compaction) : undefined;
      const window = (await deps.contextWindow?.(p.model).catch(() => null)) ?? null;
      const transcript = await readAttachments(promptMessages(open, p.triggerMessageId), deps.readAttachment);
      const clip = { runId: p.runId, maxChars: toolResultChars(window) };
      const turns = p.iteration > 1 ? toolTurns(await deps.runEvents(p.runId), clip) : [];
      const system = [await systemPrompt(deps, p.sessionKey), summary].filter((x) => x).join("\n\n") || undefined;
      // Over the window: the machine moves to `compacting` (once per model call), then calls again.
      // Measured before the hooks, so a compaction never makes them run twice for one call.
      const tokens = window === null ? 0 : promptTokens([...transcript, ...turns], system);
      if (window !== null && tokens > promptBudget(window, deps.maxTokens) && p.compactedFor !== p.iteration) {
        const r = (await deps.dispatch("run", p.runId, "start_compaction", {
          compactionId: `${p.runId}-c${p.iteration}`,
          iteration: p.iteration,
          tokens,
          contextWindow: window,
        })) as { started?: boolean };
        if (r?.started) return;
      }
      // The incoming message as the hooks leave it (BeforeAgentStart; later calls reuse the recorded change).
      const last = transcript.at(-1);
      if (last?.role === "user") {
        const message = p.iteration === 1 ? await hookIncoming(deps, p, last.text) : (p.message ?? last.text);
        if (message === null) return; // blocked: the run is already failed, with the hook's reason
        transcript[transcript.length - 1] = { ...last, text: message };
      }
      const messages = [...transcript, ...turns];
      if (p.iteration === 1) live(p.sessionKey, { type: "run.started", runId: p.runId, messageId: p.triggerMessageId });
      observeRun(deps.hooks, "BeforeLLMCall", p, { model: p.model, iteration: p.iteration, messages: messages.length });
      const done = await respond(p, w, messages, system, (error) => fail(p, w, error));
      if (!done) return;
      observeRun(deps.hooks, "AfterLLMCall", p, {
        model: p.model,
        iteration: p.iteration,
        finish_reason: done.finishReason,
        tool_calls: done.calls.length,
        usage: done.usage ?? null,
      });
      const usage = addUsage(p.usage, done.usage);
      if (done.calls.length === 0 || !deps.agent.tools) {
        const text = await hookOutgoing(deps, p, w.text);
        await deps.dispatch("run", p.runId, "complete", { text, usage, finishReason: done.finishReason });
        return;
      }
      const maxIterations = await iterationLimit();
      if (p.iteration >= maxIterations) {
        // The bound is a budget, not an error: the user keeps what was said, with a note.
        const note = `${w.text.length > 0 ? "\n\n" : ""}[stopped: the agent reached its limit of ${maxIterations} model call${maxIterations === 1 ? "" : "s"} ([agent] max_iterations) and still wanted to call tools (${done.calls.map((c) => c.name).join(", ")}); they were not run]`;
        w.text += note;
        live(p.sessionKey, { type: "run.delta", runId: p.runId, index: w.nextDelta++, text: note });
        const text = await hookOutgoing(deps, p, w.text);
        await deps.dispatch("run", p.runId, "complete", { text, usage, finishReason: "max_iterations" });
        return;
      }
      // Call ids name events: one the model repeats within the run gets a unique suffix in the log.
      const used = new Set(p.callIds);
      const calls = done.calls.map((c, i) => {
        const callId = used.has(c.id) || c.id === "" ? `${c.id || "call"}-${p.iteration}-${i}` : c.id;
        used.add(callId);
        return {
          callId,
          name: c.name,
          arguments: c.arguments,
          textOffset: w.text.length,
          ...(callId !== c.id ? { providerId: c.id } : {}),
        };
      });
      const req = (await deps.dispatch("run", p.runId, "request_tools", {
        iteration: p.iteration,
        reply: { text: done.text, usage: done.usage },
        calls,
      })) as { requested?: boolean };
      if (!req?.requested) return; // the run was ended meanwhile: not ours any more
      for (const c of calls) {
        live(p.sessionKey, {
          type: "run.tool",
          runId: p.runId,
          callId: c.callId,
          name: c.name,
          status: "requested",
          arguments: c.arguments,
          textOffset: c.textOffset,
        });
      }
    } catch (e) {
      await settle(p, w, e, false);
    }
  };

  const runTool = toolRunner(deps, live, workOf, settle);
  const compact = runCompactor(deps, workOf, settle, (p, reason) =>
    streamedText(deps.nc, p.sessionKey, p.runId, p.startedAt)
      .catch(() => "")
      .then((partialText) => end(p, "interrupt", { reason, partialText })),
  );

  /** A run adopted mid-step: what it had streamed is kept, the step is not repeated. */
  const interruptOrphan = async (p: InterruptParams) => {
    const partialText = await streamedText(deps.nc, p.sessionKey, p.runId, p.startedAt).catch(() => "");
    await end(p, "interrupt", { reason: "the gateway stopped while this reply was streaming", partialText });
  };

  // Every effect of a run runs in the run's trace (spans, and the trace id in the events it appends).
  const effects: RunEffects = {
    callModel: (p) => context.with(works.context(p.runId), callModel, undefined, p),
    runTool: (p) => context.with(works.context(p.runId), runTool, undefined, p),
    compact: (p) => context.with(works.context(p.runId), compact, undefined, p),
    interruptOrphan,
    reportEnd: async (p) => {
      await works.close(p.runId, p.status);
      await deps.dispatch("session", p.sessionKey, "end_run", {
        runId: p.runId,
        status: p.status,
        ...(p.error ? { error: p.error } : {}),
      });
    },
  };

  const supervise: EffectSupervisor = async (f) => {
    if (f.action === "reportEnd") throw f.error; // the session is unreachable: the next adopt reports again
    await deps.dispatch("run", f.id, "fail", { error: toWireError(f.error), partialText: "" });
  };

  return { effects, works, supervise };
};
