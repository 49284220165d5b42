import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { CairnError } from "./errors.ts";

/**
 * Decodes untrusted input at a boundary. Fails with `bad_request` (or the given code) and a message
 * that lists every problem with its path, so a user can fix all of them at once.
 */
export const decodeOrFail = <S extends Schema.ConstraintDecoder<unknown>>(
  schema: S,
  input: unknown,
  what: string,
  code: "bad_request" | "internal" = "bad_request",
): S["Type"] => {
  const r = Schema.decodeUnknownResult(schema, { errors: "all", onExcessProperty: "error" })(input);
  if (Result.isSuccess(r)) return r.success;
  throw new CairnError(code, `invalid ${what}: ${r.failure.message}`);
};

/** Lenient decoders by schema, made once: a replay decodes a million events through a few dozen schemas. */
const lenientDecoders = new WeakMap<object, (input: unknown) => Result.Result<unknown, Schema.SchemaError>>();

/** Like `decodeOrFail` but tolerant of extra keys (forward-compatible payloads from newer peers). */
export const decodeLenient = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, input: unknown, what: string): S["Type"] => {
  let decode = lenientDecoders.get(schema);
  if (!decode) {
    decode = Schema.decodeUnknownResult(schema, { errors: "all" }) as (input: unknown) => Result.Result<unknown, Schema.SchemaError>;
    lenientDecoders.set(schema, decode);
  }
  const r = decode(input);
  if (Result.isSuccess(r)) return r.success;
  throw new CairnError("bad_request", `invalid ${what}: ${r.failure.message}`);
};
