import type * as Schema from "effect/Schema";

/**
 * One step of an event type's history: how a stored payload of version `v` becomes version `v + 1`.
 * The payload is first decoded with the schema of its own version (a record that was never valid
 * stays a visible decode failure), then `up` rewrites it. Steps chain, so every older version
 * reaches the current one and a new version only adds the step from the one before it.
 */
export interface Upcaster {
  readonly schema: Schema.ConstraintDecoder<unknown>;
  readonly up: (data: never) => unknown;
}

/** The steps of one event type, keyed by the version they start from (1, 2, ... current − 1). */
export type Upcasters = Readonly<Record<number, Upcaster>>;

/** A typed step: `up` receives what `schema` decodes. */
export const upcaster = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, up: (data: S["Type"]) => unknown): Upcaster => ({
  schema,
  up: up as (data: never) => unknown,
});
