import type { AggregateKind, NewEvent } from "../../schemas/index.ts";
import type { HookDispatcher } from "./hook.dispatcher.ts";

type Ctx = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Fires the observed hook events that are facts of the log, from the appends of the host that
 * decided them (`HostDeps.appended`): once per fact, in the process that owns the aggregate, only
 * after it is durable; a retried command appends nothing and fires nothing. The run's own points
 * (model calls, tool calls) fire from its effects, which know more than the events say.
 */
export const hookObserver =
  (hooks: HookDispatcher) =>
  (_kind: AggregateKind, id: string, events: readonly NewEvent[], context: unknown): void => {
    const c = (context ?? {}) as Ctx;
    for (const e of events) {
      const d = e.data as Ctx;
      switch (e.type) {
        case "session.created":
        case "session.forked":
          hooks.observe(
            "SessionStart",
            { session_key: id, title: d.title ?? null, model: d.model ?? null, forked_from: d.parentKey ?? null },
            id,
          );
          break;
        case "session.deleted":
          hooks.observe("SessionEnd", { session_key: id, message_count: c.messageCount ?? null }, id);
          break;
        case "session.user_message":
          hooks.observe("MessageReceived", { session_key: id, message_id: d.messageId, text: d.text, run_id: d.runId ?? null }, id);
          break;
        case "approval.requested":
          hooks.observe(
            "ApprovalRequested",
            {
              approval_id: id,
              run_id: d.runId,
              session_key: d.sessionKey,
              call_id: d.callId,
              tool: d.tool,
              command: d.command,
              reason: d.reason,
            },
            str(d.sessionKey),
          );
          break;
        case "approval.granted":
        case "approval.denied":
        case "approval.expired":
          hooks.observe(
            "ApprovalDecided",
            {
              approval_id: id,
              run_id: c.runId ?? null,
              session_key: c.sessionKey ?? null,
              tool: c.tool ?? null,
              command: c.command ?? null,
              decision: e.type.slice("approval.".length),
              by: d.by ?? null,
              reason: d.reason ?? null,
            },
            str(c.sessionKey),
          );
          break;
        case "run.completed":
        case "run.failed":
        case "run.interrupted":
        case "run.cancelled": {
          const status = e.type.slice("run.".length);
          const text = typeof d.text === "string" ? d.text : (d.partialText ?? "");
          const run = { run_id: id, session_key: c.sessionKey ?? null };
          if (e.type === "run.completed") hooks.observe("MessageSent", { ...run, text }, str(c.sessionKey));
          hooks.observe("AgentEnd", { ...run, status, text, error: d.error ?? null }, str(c.sessionKey));
          break;
        }
        case "cron.run.completed":
        case "cron.run.failed":
        case "cron.run.timed_out":
          hooks.observe(
            "CronRun",
            {
              job_id: id,
              status: e.type.slice("cron.run.".length),
              slot: d.slot,
              run_id: d.runId ?? null,
              duration_ms: d.durationMs,
              error: d.error ?? null,
            },
            null,
          );
          break;
      }
    }
  };
