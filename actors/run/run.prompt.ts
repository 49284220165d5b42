import type { AnyStoredEvent } from "../../schemas/index.ts";
import type { ConversationMessage } from "../llm/index.ts";
import type { TranscriptMessage } from "../session/index.ts";
import { loadSkills, skillsPrompt } from "../skills/index.ts";
import { clipToolResult } from "./compaction.ts";
import type { PromptMessage } from "./run.attachments.ts";
import type { RunEffectDeps } from "./run.deps.ts";

export const INTERRUPTED_NOTE =
  "[this reply was interrupted before it finished (the gateway stopped); a tool call that was running did not complete and was not run again]";
export const CANCELLED_NOTE = "[the user stopped this reply before it was finished]";

/**
 * What the model sees: the transcript up to the triggering message. Failed replies are left out;
 * a reply the user stopped or a crash interrupted stays, marked, so the model knows it was cut
 * short and that a tool call it had running did not complete (and was not run again). A user
 * message's files ride along unread (`readAttachments` reads them).
 */
export const promptMessages = (messages: readonly TranscriptMessage[], triggerId: string): PromptMessage[] => {
  const end = messages.findIndex((m) => m.id === triggerId);
  const upTo = end === -1 ? messages : messages.slice(0, end + 1);
  const marked = (m: TranscriptMessage, note: string) => ({ role: m.role, text: `${m.text ? `${m.text}\n\n` : ""}${note}` });
  return upTo
    .filter(
      (m) => m.role === "user" || m.status === "cancelled" || m.status === "interrupted" || (m.status === "complete" && m.text.length > 0),
    )
    .map((m) =>
      m.status === "cancelled"
        ? marked(m, CANCELLED_NOTE)
        : m.status === "interrupted" && m.role === "assistant"
          ? marked(m, INTERRUPTED_NOTE)
          : { role: m.role, text: m.text, ...(m.attachments?.length ? { attachments: m.attachments } : {}) },
    );
};

/**
 * The run's tool turns so far, from its events: per model call that asked for tools, the
 * assistant turn (what it said, the calls with the provider's ids) and each result in the order
 * the calls were given. The log is the source, so a run adopted after a crash prompts exactly
 * like one that never stopped.
 */
export const toolTurns = (
  events: readonly AnyStoredEvent[],
  /** Results longer than `maxChars` are cut in the prompt, with a pointer to the full output. */
  clip?: { readonly runId: string; readonly maxChars: number },
): ConversationMessage[] => {
  const turns = new Map<number, { text: string; calls: { id: string; callId: string; name: string; arguments: string }[] }>();
  const results = new Map<string, { text: string; isError: boolean }>();
  for (const e of events) {
    if (e.type === "run.tool_call_requested") {
      const d = e.data;
      const turn = turns.get(d.iteration) ?? { text: "", calls: [] };
      if (d.reply) turn.text = d.reply.text;
      turn.calls.push({ id: d.providerId ?? d.callId, callId: d.callId, name: d.name, arguments: d.arguments });
      turns.set(d.iteration, turn);
    } else if (e.type === "run.tool_finished") {
      results.set(e.data.callId, { text: e.data.output, isError: e.data.isError });
    }
  }
  return [...turns.values()].flatMap((t): ConversationMessage[] => [
    { role: "assistant", text: t.text, toolCalls: t.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) },
    ...t.calls.map((c): ConversationMessage => {
      const r = results.get(c.callId);
      const text = clip ? clipToolResult(r?.text ?? "", clip.maxChars, clip.runId, c.callId) : (r?.text ?? "");
      return { role: "tool", toolCallId: c.id, text, ...(r?.isError ? { isError: true } : {}) };
    }),
  ]);
};

/**
 * The system prompt (Settings, else cairn.toml), then the skills the model may use (when there are any), then —
 * for a session routed to a node — the node's AGENTS.md and skills. Skills are read at every model
 * call (cached by mtime), so a new one needs no restart.
 */
export const systemPrompt = async (deps: RunEffectDeps, sessionKey: string): Promise<string | undefined> => {
  const listed =
    deps.agent.skillsDir && deps.agent.tools ? skillsPrompt(await loadSkills(deps.agent.skillsDir).catch(() => [])) : undefined;
  const node = deps.agent.tools ? await deps.nodePrompt?.(sessionKey).catch(() => undefined) : undefined;
  const own = (await deps.settings?.())?.["agent.system_prompt"] ?? deps.systemPrompt;
  return [own, listed, node].filter((x) => x).join("\n\n") || undefined;
};
