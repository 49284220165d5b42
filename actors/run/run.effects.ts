import { setMaxListeners } from "node:events";
import { publishLive } from "../../bus/index.ts";
import { CairnError, toWireError, type LiveSessionMessage, type Usage, type WireError } from "../../schemas/index.ts";
import type { ChatMessage } from "../llm/index.ts";
import type { ConversationMessage, ToolCall, ToolSpec } from "../llm/provider.ts";
import type { TranscriptMessage } from "../session/session.machine.ts";
import { fallbackChain, humanWait, isRetryable } from "./fallback.policy.ts";
import { RunDeadline } from "./run.deadline.ts";
import { DEFAULT_MAX_ITERATIONS, DEFAULT_RUN_TIMEOUT_MS, RunCancelled, SHUTDOWN, type CallParams, type RunEffectDeps } from "./run.options.ts";
import { toolRunner } from "./run.tools.effects.ts";
import type { RunResume } from "./run.resume.ts";
import { loadSkills, skillsPrompt } from "../skills/index.ts";

/**
 * What the model sees: the transcript up to the triggering message. Failed replies are left out;
 * a reply the user stopped or a crash interrupted stays, marked, so the model knows it was cut
 * short and that a tool call it had running did not complete (and was not run again).
 */
export const promptMessages = (messages: readonly TranscriptMessage[], triggerId: string): ChatMessage[] => {
  const end = messages.findIndex((m) => m.id === triggerId);
  const upTo = end === -1 ? messages : messages.slice(0, end + 1);
  const marked = (m: TranscriptMessage, note: string) => ({ role: m.role, text: `${m.text ? `${m.text}\n\n` : ""}${note}` });
  return upTo
    .filter((m) => m.role === "user" || m.status === "cancelled" || m.status === "interrupted" || (m.status === "complete" && m.text.length > 0))
    .map((m) =>
      m.status === "cancelled"
        ? marked(m, CANCELLED_NOTE)
        : m.status === "interrupted" && m.role === "assistant"
          ? marked(m, INTERRUPTED_NOTE)
          : { role: m.role, text: m.text },
    );
};

export const INTERRUPTED_NOTE =
  "[this reply was interrupted before it finished (the gateway stopped); a tool call that was running did not complete and was not run again]";
export const CANCELLED_NOTE = "[the user stopped this reply before it was finished]";

/**
 * The configured system prompt, then the skills the model may use (when there are any), then —
 * for a session routed to a node — the node's AGENTS.md and skills.
 */
const systemPrompt = async (deps: RunEffectDeps, sessionKey: string): Promise<string | undefined> => {
  const listed = deps.agent.skillsDir && deps.agent.tools ? skillsPrompt(await loadSkills(deps.agent.skillsDir).catch(() => [])) : undefined;
  const node = deps.agent.tools ? await deps.nodePrompt?.(sessionKey).catch(() => undefined) : undefined;
  return [deps.systemPrompt, listed, node].filter((x) => x).join("\n\n") || undefined;
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

/** A run picked up after a restart: where its tool step stopped, and what it had streamed. */
export interface Resumed {
  readonly point: RunResume;
  readonly text: string;
  /** Index of the next live delta (clients drop repeats by index). */
  readonly nextIndex: number;
}

/** What a run has streamed so far; `sep`: a paragraph break is due before the next text. */
type Out = { text: string; index: number; sep: boolean };


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

  /**
   * Streams one model's reply into `out` (text deltas published live) and collects the completed
   * tool calls; throws `AttemptFailed` with how many deltas this attempt had streamed.
   */
  const streamFrom = async (model: string, p: CallParams, messages: readonly ConversationMessage[], system: string | undefined, signal: AbortSignal, out: Out) => {
    const first = out.index;
    let text = "";
    const calls: ToolCall[] = [];
    try {
      const resolved = deps.resolveModel(model);
      // Local models have no tools; everyone else gets them on every request (Anthropic refuses a
      // history with tool turns otherwise).
      const tools: ToolSpec[] = resolved.provider.id === "local" ? [] : (deps.agent.tools?.specs() ?? []);
      for await (const chunk of resolved.provider.stream({
        model: resolved.model,
        messages,
        signal,
        ...(tools.length > 0 ? { tools } : {}),
        ...(system ? { system } : {}),
        ...(deps.maxTokens ? { maxTokens: deps.maxTokens } : {}),
      })) {
        // Switch on every kind: a chunk kind added to the port later must not pass for "done".
        switch (chunk.type) {
          case "delta":
            if (out.sep && chunk.text.length > 0) {
              out.sep = false;
              const sep = out.text.endsWith("\n\n") ? "" : out.text.endsWith("\n") ? "\n" : "\n\n";
              if (sep) {
                out.text += sep;
                live(p.sessionKey, { type: "run.delta", runId: p.runId, index: out.index++, text: sep });
              }
            }
            text += chunk.text;
            out.text += chunk.text;
            live(p.sessionKey, { type: "run.delta", runId: p.runId, index: out.index++, text: chunk.text });
            break;
          case "tool_call_start":
          case "tool_call_delta":
            break;
          case "tool_call":
            calls.push({ id: chunk.id, name: chunk.name, arguments: chunk.arguments });
            break;
          case "done":
            return { usage: chunk.usage, finishReason: chunk.finishReason, text, calls };
        }
      }
      throw new CairnError("provider_error", "the provider ended the stream without finishing the reply");
    } catch (e) {
      throw new AttemptFailed(e, out.index - first);
    }
  };

  const runTool = toolRunner(deps, live);


  /**
   * The agent loop: model call (with the fallback chain) → the tool calls it asked for, recorded
   * then run (in parallel) → results back to the model → ... until a plain answer. Bounded by
   * `maxIterations` model calls (then the run completes with the text so far and a note,
   * finishReason "max_iterations") and `timeoutMs` (then it fails with code `timeout`).
   */
  const drive = async (p: CallParams, resumed: Resumed | undefined) => {
    const abort = new AbortController();
    // Every parallel call (and its sandboxed process) listens on the run's signal.
    setMaxListeners(200, abort.signal);
    deps.inFlight.set(p.runId, abort);
    const maxIterations = deps.agent.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    const timeoutMs = deps.agent.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const deadline = new RunDeadline(timeoutMs, () =>
      abort.abort(new CairnError("timeout", `the run did not finish within its time limit of ${humanWait(timeoutMs)} ([agent] timeout)`)),
    );
    const out: Out = { text: resumed?.text ?? "", index: resumed?.nextIndex ?? 0, sep: false };
    // Where the loop is, for a shutdown: at the tool step with no call running, nothing is lost by
    // stopping, so the run is left for the next start to pick up (see `resumePoint`).
    let phase = "model" as "model" | "tools";
    const running = { count: 0 };
    /** Tool names by call id, for the live notices of calls an ending interrupts. */
    const names = new Map<string, string>();
    const noticeCut = (reply: unknown) => {
      for (const callId of (reply as { interruptedCalls?: string[] } | undefined)?.interruptedCalls ?? []) {
        live(p.sessionKey, { type: "run.tool", runId: p.runId, callId, name: names.get(callId) ?? "", status: "interrupted" });
      }
    };
    const fail = async (error: WireError) => noticeCut(await deps.dispatch("run", p.runId, "fail", { error, partialText: out.text }));
    try {
      await deps.cooldownsReady;
      const conversation: ConversationMessage[] = promptMessages(await deps.transcript(p.sessionKey), p.triggerMessageId);
      // Skills are read at the start of every run (cached by mtime), so a new one needs no restart.
      const system = await systemPrompt(deps, p.sessionKey);
      if (!resumed) live(p.sessionKey, { type: "run.started", runId: p.runId, messageId: p.triggerMessageId });
      const chain = fallbackChain(p.model, deps.fallback);
      // Cooldowns only choose among alternatives: a lone model is always tried.
      const cooling = (m: string) => (chain.length > 1 ? deps.cooldowns.active(m, deps.now()) : null);
      if (chain.every((m) => cooling(m))) {
        const tried = chain.map((m) => skipped(m, cooling(m)!));
        return void (await fail(exhausted(tried, deps.now())));
      }
      const usedIds = new Set<string>(resumed?.point.usedIds ?? []);
      let usage: Usage | null = null;
      let pos = 0;
      // Independent calls run in parallel; results come back in the order given. Settled, not
      // raced: every started call is finished or given up before the run moves on.
      const runAll = async (calls: readonly { callId: string; name: string; arguments: string }[]) => {
        phase = "tools";
        const settled = await Promise.allSettled(calls.map((c) => runTool(p, c, abort.signal, deadline, running)));
        const broken = settled.find((r) => r.status === "rejected");
        if (broken) throw broken.reason;
        phase = "model";
        return settled.map((r) => (r as PromiseFulfilledResult<ConversationMessage>).value);
      };
      let first = 1;
      if (resumed) {
        // Picked up after a restart at the tool step it stopped in: the calls that never started run now.
        const r = resumed.point;
        conversation.push(...r.history);
        for (const c of r.pending) names.set(c.callId, c.name);
        const fresh = await runAll(r.pending);
        const byId = new Map([...r.lastResults, ...r.pending.map((c, i) => [c.callId, fresh[i]] as const)]);
        const turn = r.last as { toolCalls: readonly { id: string }[] };
        conversation.push(r.last, ...turn.toolCalls.map((tc) => byId.get(tc.id)!));
        first = r.iteration + 1;
      }
      for (let iteration = first; ; iteration++) {
        // Text of separate model calls reads as separate paragraphs, live and in the record: the
        // separator goes out with the first delta of the next call that says anything.
        out.sep = iteration > 1 && out.text.length > 0;
        const textBefore = out.text;
        // One model response, down the fallback chain from the model the run is on.
        const tried: Attempt[] = [];
        let done: Awaited<ReturnType<typeof streamFrom>> | undefined;
        for (;;) {
          const model = chain[pos];
          if (abort.signal.aborted) throw abort.signal.reason;
          let attempt: Attempt;
          const cool = cooling(model);
          if (cool) {
            attempt = skipped(model, cool);
          } else {
            try {
              done = await streamFrom(model, p, conversation, system, abort.signal, out);
              deps.cooldowns.succeeded(model);
              break;
            } catch (e) {
              if (!(e instanceof AttemptFailed)) throw e;
              if (abort.signal.aborted) throw abort.signal.reason;
              const error = toWireError(e.cause);
              if (e.streamed > 0) return void (await fail(streamCut(error, out.text.length - textBefore.length)));
              if (!isRetryable(error)) return void (await fail(error));
              const now = deps.now();
              attempt = { model, error, cooldownUntil: chain.length > 1 ? deps.cooldowns.nextUntil(model, error, now) : null, skipped: false };
            }
          }
          tried.push(attempt);
          const next = chain[pos + 1];
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
          pos++;
        }
        usage = addUsage(usage, done.usage);
        if (done.calls.length === 0 || !deps.agent.tools) {
          await deps.dispatch("run", p.runId, "complete", { text: out.text, usage, finishReason: done.finishReason });
          return;
        }
        if (iteration >= maxIterations) {
          // The bound is a budget, not an error: the user keeps what was said, with a note.
          const note = `${out.text.length > 0 ? "\n\n" : ""}[stopped: the agent reached its limit of ${maxIterations} model call${maxIterations === 1 ? "" : "s"} ([agent] max_iterations) and still wanted to call tools (${done.calls.map((c) => c.name).join(", ")}); they were not run]`;
          out.text += note;
          live(p.sessionKey, { type: "run.delta", runId: p.runId, index: out.index++, text: note });
          await deps.dispatch("run", p.runId, "complete", { text: out.text, usage, finishReason: "max_iterations" });
          return;
        }
        // Call ids name events: one the model repeats within the run gets a unique suffix in the log.
        const calls = done.calls.map((c, i) => {
          const callId = usedIds.has(c.id) || c.id === "" ? `${c.id || "call"}-${iteration}-${i}` : c.id;
          usedIds.add(callId);
          names.set(callId, c.name);
          return { callId, providerId: c.id, name: c.name, arguments: c.arguments };
        });
        const req = (await deps.dispatch("run", p.runId, "request_tools", {
          iteration,
          calls: calls.map(({ callId, name, arguments: a }) => ({ callId, name, arguments: a, textOffset: out.text.length })),
        })) as { requested?: boolean };
        if (!req?.requested) return; // the run was ended meanwhile: not ours any more
        for (const c of calls) {
          live(p.sessionKey, { type: "run.tool", runId: p.runId, callId: c.callId, name: c.name, status: "requested", arguments: c.arguments, textOffset: out.text.length });
        }
        const results = await runAll(calls);
        conversation.push({ role: "assistant", text: done.text, toolCalls: done.calls.map((c, i) => ({ ...c, id: calls[i].providerId })) });
        for (const [i, r] of results.entries()) conversation.push({ ...r, toolCallId: calls[i].providerId } as ConversationMessage);
      }
    } catch (e) {
      if (abort.signal.aborted && abort.signal.reason instanceof RunCancelled) {
        noticeCut(await deps.dispatch("run", p.runId, "cancel", { by: abort.signal.reason.by, partialText: out.text }));
      } else if (abort.signal.aborted && abort.signal.reason === SHUTDOWN) {
        if (phase === "tools" && running.count === 0) return;
        noticeCut(await deps.dispatch("run", p.runId, "interrupt", { reason: SHUTDOWN.message, partialText: out.text }));
      } else if (abort.signal.aborted && abort.signal.reason instanceof CairnError && abort.signal.reason.code === "timeout") {
        await fail(abort.signal.reason.toWire());
      } else {
        await fail(toWireError(e instanceof AttemptFailed ? e.cause : e));
      }
    } finally {
      deadline.clear();
      deps.inFlight.delete(p.runId);
    }
  };

  return {
    /** The effect of `run.started` (the host may pass more arguments: only the first is used). */
    callModel: (p: CallParams) => drive(p, undefined),
    /** A run picked up after a restart at the tool step it stopped in (see `resumePoint`). */
    resume: (p: CallParams, resumed: Resumed) => drive(p, resumed),
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

/** Usage summed over the model calls of a run (null while no call reported any). */
const addUsage = (a: Usage | null, b: Usage | null): Usage | null => {
  if (!a || !b) return a ?? b;
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const cacheRead = sum(a.cacheReadTokens, b.cacheReadTokens);
  const cacheWrite = sum(a.cacheWriteTokens, b.cacheWriteTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...(cacheRead !== undefined ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteTokens: cacheWrite } : {}),
  };
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);
