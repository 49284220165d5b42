import * as Schema from "effect/Schema";
import { RunId, SessionKey } from "../ids.ts";

/**
 * Events of an approval (`evt.approval.<id>`): a dangerous tool call waiting for a person. The
 * first answer wins; expiry is a deadline in the request, enforced by whoever waits on it.
 */
export const ApprovalRequested = Schema.Struct({
  runId: RunId,
  sessionKey: SessionKey,
  callId: Schema.String,
  tool: Schema.String,
  /** What will run, as the user must see it before deciding. */
  command: Schema.String,
  /** Why it asks (e.g. "not on the safe list"). */
  reason: Schema.String,
  /** Epoch ms after which the approval can only expire. */
  expiresAt: Schema.Number,
});
export const ApprovalGranted = Schema.Struct({
  by: Schema.String,
  /** The user asked to allow this command from now on (recorded; honoured by the policy later). */
  always: Schema.optionalKey(Schema.Boolean),
});
export const ApprovalDenied = Schema.Struct({ by: Schema.String, reason: Schema.optionalKey(Schema.String) });
export const ApprovalExpired = Schema.Struct({});

export const approvalEvents = {
  "approval.requested": { version: 1, schema: ApprovalRequested },
  "approval.granted": { version: 1, schema: ApprovalGranted },
  "approval.denied": { version: 1, schema: ApprovalDenied },
  "approval.expired": { version: 1, schema: ApprovalExpired },
} as const;
