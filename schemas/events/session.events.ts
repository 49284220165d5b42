import * as Schema from "effect/Schema";
import { MessageId, ModelId, RunId, SessionKey } from "../ids.ts";
import { WireError } from "../errors.ts";

/** Events of one session aggregate (`evt.session.<key>`). The session is the transcript. */

export const SessionCreated = Schema.Struct({
  key: SessionKey,
  title: Schema.String,
  /** Model pinned for this session; null means "the configured default at run time". */
  model: Schema.NullOr(ModelId),
});

export const UserMessageAdded = Schema.Struct({
  messageId: MessageId,
  text: Schema.String,
  /** The run this message starts; decided here so a crash cannot start it twice. */
  runId: RunId,
});

export const RunStatus = Schema.Literals(["completed", "failed", "interrupted", "cancelled"]);
export type RunStatus = typeof RunStatus.Type;

export const RunEnded = Schema.Struct({
  runId: RunId,
  status: RunStatus,
  /** Id of the assistant message this run produced (also for partial replies). */
  messageId: MessageId,
  text: Schema.String,
  error: Schema.optionalKey(WireError),
});

export const SessionRenamed = Schema.Struct({ title: Schema.String });

/** The session's model changed (`/model`, the picker, `cairn chat --model`); null = the default. */
export const SessionModelSet = Schema.Struct({ model: Schema.NullOr(ModelId) });

export const sessionEvents = {
  "session.created": { version: 1, schema: SessionCreated },
  "session.user_message": { version: 1, schema: UserMessageAdded },
  "session.run_ended": { version: 1, schema: RunEnded },
  "session.renamed": { version: 1, schema: SessionRenamed },
  "session.model_set": { version: 1, schema: SessionModelSet },
} as const;
