import type { HookDecision, HookDispatcher } from "../hooks/index.ts";
import type { RunEffectDeps } from "./run.deps.ts";
import type { RunToolParams } from "./run.effects.types.ts";

/** The run's points where hooks may change or refuse what happens; each decision is recorded first. */

/** The run moved on under the hook (ended, or the call is another host's): its decision is not ours to apply. */
class NotRecorded extends Error {}

type RunRef = { readonly runId: string; readonly sessionKey: string };

const recorder =
  (deps: RunEffectDeps, p: RunRef, event: "BeforeToolCall" | "BeforeAgentStart" | "MessageSending", callId?: string) =>
  async (d: HookDecision): Promise<void> => {
    const value = d.action === "modify" ? (typeof d.value === "string" ? d.value : JSON.stringify(d.value)) : undefined;
    const r = (await deps.dispatch("run", p.runId, "hook", {
      event,
      hook: d.hook,
      action: d.action,
      ...(callId !== undefined ? { callId } : {}),
      ...(value !== undefined ? { value } : {}),
      ...(d.action === "modify" && d.changed.length > 0 ? { changed: d.changed } : {}),
      ...(d.action === "block" ? { reason: d.reason } : {}),
    })) as { recorded?: boolean };
    if (!r?.recorded) throw new NotRecorded();
  };

const data = (p: RunRef, more: Record<string, unknown>) => ({ run_id: p.runId, session_key: p.sessionKey, ...more });

/**
 * `BeforeToolCall`: the call as the hooks leave it; `blocked` when a hook refused it (the refusal is
 * already the call's result); null when the run moved on. Hooks already recorded on this call (a call
 * resumed after a crash) are skipped, and its arguments already carry their changes, so no
 * change is ever applied twice.
 */
export const hookToolCall = async (deps: RunEffectDeps, p: RunToolParams): Promise<RunToolParams["call"] | { blocked: string } | null> => {
  const hooks = deps.hooks;
  if (!hooks?.has("BeforeToolCall")) return p.call;
  let args: unknown;
  try {
    args = JSON.parse(p.call.arguments || "{}");
  } catch {
    return p.call; // bad arguments never run: `invoke` tells the model
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) return p.call;
  try {
    const r = await hooks.modify("BeforeToolCall", data(p, { call_id: p.call.callId, tool: p.call.name, arguments: args }), p.sessionKey, {
      skip: new Set(p.call.hooks ?? []),
      record: recorder(deps, p, "BeforeToolCall", p.call.callId),
    });
    if (r.blocked) return { blocked: `blocked by hook ${r.blocked.hook}: ${r.blocked.reason}; the call was not run` };
    return r.data.arguments === args ? p.call : { ...p.call, arguments: JSON.stringify(r.data.arguments) };
  } catch (e) {
    if (e instanceof NotRecorded) return null;
    throw e;
  }
};

/**
 * `BeforeAgentStart`: the incoming message as the model will read it, or null when a hook blocked
 * it (the run is already failed with `hook_blocked`) or the run moved on.
 */
export const hookIncoming = async (deps: RunEffectDeps, p: RunRef & { triggerMessageId: string; model: string }, message: string) => {
  const hooks = deps.hooks;
  if (!hooks?.has("BeforeAgentStart")) return message;
  try {
    const r = await hooks.modify(
      "BeforeAgentStart",
      data(p, { message_id: p.triggerMessageId, message, model: p.model, workspace: deps.agent.workspaceRoot ?? null }),
      p.sessionKey,
      { record: recorder(deps, p, "BeforeAgentStart") },
    );
    return r.blocked ? null : (r.data.message as string);
  } catch (e) {
    if (e instanceof NotRecorded) return null;
    throw e;
  }
};

/**
 * `MessageSending`: the reply as it will be stored. A block withholds it: what is stored says which
 * hook withheld it and why (the text already streamed to watching clients cannot be unsent).
 */
export const hookOutgoing = async (deps: RunEffectDeps, p: RunRef, text: string): Promise<string> => {
  const hooks = deps.hooks;
  if (!hooks?.has("MessageSending")) return text;
  const r = await hooks.modify("MessageSending", data(p, { text }), p.sessionKey, { record: recorder(deps, p, "MessageSending") });
  return r.blocked ? `[reply withheld by hook ${r.blocked.hook}: ${r.blocked.reason}]` : (r.data.text as string);
};

/** Fires an observed event of the run (never awaited, never throws). */
export const observeRun = (
  hooks: HookDispatcher | undefined,
  event: "BeforeLLMCall" | "AfterLLMCall" | "AfterToolCall",
  p: RunRef,
  more: Record<string, unknown>,
) => {
  if (hooks?.has(event)) hooks.observe(event, data(p, more), p.sessionKey);
};
