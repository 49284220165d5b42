import * as Schema from "effect/Schema";
import {
  CairnError,
  CopiedMessage,
  ModelId,
  SessionKey,
  SessionMcp,
  SessionSandbox,
  type CopiedMessage as Copied,
} from "../../schemas/index.ts";
import type { SessionContext } from "./session.machine.ts";
import type { TranscriptMessage } from "./session.transcript.ts";

/**
 * `cmd.session.<parentKey>.fork` params, as the edge sends them. The caller mints `forkKey`, so a
 * retried request names the same fork and is answered with it instead of making a second one.
 */
export const ForkParams = Schema.Struct({
  forkKey: SessionKey,
  /** Copy the parent's first N messages; all finished ones when absent. */
  messageIndex: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  label: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200))),
});
export type ForkParams = typeof ForkParams.Type;

/** Internal: the fork's own creation, decided by the fork's aggregate once the parent was read. */
export const CreateForkCommand = Schema.Struct({
  parentKey: SessionKey,
  forkPoint: Schema.Number,
  label: Schema.NullOr(Schema.String),
  title: Schema.String,
  model: Schema.NullOr(ModelId),
  sandbox: SessionSandbox,
  node: Schema.optionalKey(Schema.NullOr(Schema.String)),
  mcp: Schema.optionalKey(SessionMcp),
  messages: Schema.Array(CopiedMessage),
});
export type CreateForkCommand = typeof CreateForkCommand.Type;

/**
 * The fork travels as one event, and one NATS message is at most 1 MiB by default (`max_payload`):
 * a larger copy is refused up front with a way out, instead of failing at the append.
 */
export const MAX_FORK_BYTES = 768 * 1024;

const TITLE_MAX = 200;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The messages a fork may copy (of the parent's transcript, read as of the parent's state): all
 * but the user message of a reply still streaming, whose answer the fork would never get (the
 * fork starts idle).
 */
export const finishedMessages = (parent: SessionContext, messages: readonly TranscriptMessage[]): readonly TranscriptMessage[] => {
  const active = parent.activeRun;
  return active ? messages.filter((m) => m.id !== active.messageId) : messages;
};

/**
 * Decides what a fork of `parent` holds. Pure: throws `bad_request` for an index beyond the
 * finished messages (naming how many there are) or a copy too large for one event.
 */
export function planFork(
  parentKey: string,
  parent: SessionContext,
  transcript: readonly TranscriptMessage[],
  p: Pick<ForkParams, "messageIndex" | "label">,
): CreateForkCommand {
  const finished = finishedMessages(parent, transcript);
  const forkPoint = p.messageIndex ?? finished.length;
  if (forkPoint > finished.length) {
    const streaming = parent.activeRun ? " (not counting the message whose reply is still streaming)" : "";
    throw new CairnError(
      "bad_request",
      `session '${parentKey}' has ${finished.length} finished message(s)${streaming}; a fork can copy 0 to ${finished.length}, not ${forkPoint}`,
      { messageCount: finished.length },
    );
  }
  // Field by field: the fork's event carries exactly a copied message, whatever else the reader added.
  const messages: Copied[] = finished.slice(0, forkPoint).map((m) => ({
    id: m.id,
    role: m.role,
    text: m.text,
    runId: m.runId,
    status: m.status,
    at: m.at,
    error: m.error,
    ...(m.attachments?.length ? { attachments: m.attachments } : {}),
  }));
  const bytes = Buffer.byteLength(JSON.stringify(messages));
  if (bytes > MAX_FORK_BYTES) {
    throw new CairnError(
      "bad_request",
      `the first ${forkPoint} messages of '${parentKey}' are ${Math.ceil(bytes / 1024)} KB, more than a fork can copy (${MAX_FORK_BYTES / 1024} KB); fork at an earlier message`,
      { bytes, maxBytes: MAX_FORK_BYTES },
    );
  }
  const label = p.label?.trim() ? p.label.trim() : null;
  return {
    parentKey,
    forkPoint,
    label,
    title: clip(label ?? `${displayTitle(parent, transcript)} (fork)`, TITLE_MAX),
    model: parent.model,
    sandbox: parent.sandbox,
    node: parent.node,
    mcp: parent.mcp,
    messages,
  };
}

/** The parent's title as the sidebar shows it: its own, else its first message, else a placeholder. */
const displayTitle = (s: SessionContext, transcript: readonly TranscriptMessage[]): string => {
  if (s.title) return s.title;
  const first = transcript
    .find((m) => m.role === "user")
    ?.text.replace(/\s+/g, " ")
    .trim();
  return first ? clip(first, 60) : "New chat";
};
