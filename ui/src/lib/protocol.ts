import type * as Wire from "../../../schemas/index.ts";

/**
 * The few protocol values the UI needs at run time. They cannot be imported from `schemas/` (that
 * would bundle `effect`), so they are restated here and tied to the schemas: the annotations make
 * `npm test`'s type check fail when a literal drifts, and tests/ui/protocol.test.ts compares what
 * types cannot (the pattern). Every wire type comes from `./wire.ts` instead.
 */

export const PROTOCOL_VERSION: typeof Wire.PROTOCOL_VERSION = 1;
export const CLIENT_INFO = { name: "cairn-ui", version: "0.1.0" } as const satisfies Wire.MethodParams<"connect">["client"];

/** Ids travel inside NATS subjects: one token of letters, digits, `_` or `-` (`schemas/ids.ts`). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** What an API key may be granted, in the order the gateway lists them (`operator.admin` implies all). */
export const SCOPES: typeof Wire.SCOPES = ["operator.read", "operator.write", "operator.approvals", "operator.pairing", "operator.admin"];
/** Password bounds the gateway enforces; the UI checks them first so a typo costs no rate-limited attempt. */
export const MIN_PASSWORD_CHARS: typeof Wire.MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS: typeof Wire.MAX_PASSWORD_CHARS = 1024;
