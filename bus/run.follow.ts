import type { NatsConnection } from "@nats-io/transport-node";
import { LiveSessionMessage, decodeLenient, type WireError } from "../schemas/index.ts";
import { subjects } from "./subjects.ts";

/** What a client that asked for a reply needs of its run, in order. */
export type RunUpdate =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "approval"; readonly approvalId: string; readonly command: string }
  | { readonly type: "end"; readonly status: string; readonly error: WireError | null };

export interface SessionFollower {
  /** The run's text (repeats dropped), its approvals as they become pending, then its end. */
  run(runId: string): AsyncGenerator<RunUpdate>;
  /** Stops listening; a `run` iteration in progress ends. Idempotent. */
  close(): void;
}

/**
 * Listens to a session's live messages from now on. Subscribe before sending the message that
 * starts a run, so none of its deltas can be missed; then follow the run its id names. Live
 * messages are fire-and-forget, so a client that needs the final text for certain reads it from
 * the history once the run has ended (the log has it).
 */
export function followSession(nc: NatsConnection, sessionKey: string): SessionFollower {
  const sub = nc.subscribe(subjects.liveSession(sessionKey));
  return {
    async *run(runId) {
      let next = 0;
      for await (const msg of sub) {
        let m: LiveSessionMessage;
        try {
          m = decodeLenient(LiveSessionMessage, msg.json(), "live message");
        } catch {
          continue; // not ours to judge: skip malformed live messages
        }
        if (!("runId" in m) || m.runId !== runId) continue;
        if (m.type === "run.delta" && m.index >= next) {
          next = m.index + 1;
          yield { type: "text", text: m.text };
        } else if (m.type === "run.approval" && m.status === "pending") {
          yield { type: "approval", approvalId: m.approvalId, command: m.command };
        } else if (m.type === "run.ended") {
          const error = m.status === "completed" ? null : (m.error ?? { code: "internal" as const, message: `the run ended ${m.status}` });
          yield { type: "end", status: m.status, error };
          return;
        }
      }
    },
    close: () => sub.unsubscribe(),
  };
}
