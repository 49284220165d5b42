import * as Schema from "effect/Schema";

/**
 * Ids travel inside NATS subjects, so they must be a single token: no `.`, `*`, `>`, whitespace.
 * Session keys are chosen by users (`cairn chat --session work`), so they get a friendly alphabet.
 */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const SessionKey = Schema.String.check(
  Schema.isPattern(TOKEN_PATTERN, {
    message: "a session key is 1-64 characters of letters, digits, '_' or '-'",
  }),
);
export type SessionKey = typeof SessionKey.Type;

export const RunId = Schema.String.check(Schema.isPattern(TOKEN_PATTERN));
export type RunId = typeof RunId.Type;

export const MessageId = Schema.String.check(Schema.isPattern(TOKEN_PATTERN));
export type MessageId = typeof MessageId.Type;

/** True when `s` can be used as one subject token. */
export const isTokenSafe = (s: string): boolean => TOKEN_PATTERN.test(s);

/** Model ids are `provider/model`, e.g. `openai/gpt-4o-mini`. */
export const ModelId = Schema.String.check(
  Schema.isPattern(/^[a-z0-9][a-z0-9_-]*\/\S+$/, {
    message: "a model id is 'provider/model', e.g. openai/gpt-4o-mini",
  }),
);
export type ModelId = typeof ModelId.Type;
