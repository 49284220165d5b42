import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import * as SchemaTransformation from "effect/SchemaTransformation";
import { CairnError } from "../schemas/index.ts";

/**
 * SQLite rows are decoded where they are read (DESIGN §1.5): a row of the wrong shape (a column
 * renamed or missing, NULL where none belongs, a status the code does not know) fails as an
 * `internal` CairnError naming the query, instead of travelling on as a lie the type system vouches
 * for. Columns arrive as better-sqlite3 returns them: INTEGER/REAL → number, TEXT → string,
 * NULL → null. Columns a query selects but the schema does not name are dropped.
 */

/** A `TEXT` column read alone (a `.pluck()` statement); `undefined` when there is no row. */
export const TextValue = Schema.String;

/** `INTEGER` holding 0 or 1, decoded to a boolean. */
export const SqlBool = Schema.Literals([0, 1]).pipe(
  Schema.decodeTo(Schema.Boolean, SchemaTransformation.transform({ decode: (n: 0 | 1) => n === 1, encode: (b: boolean) => (b ? 1 : 0) })),
);

const decoders = new WeakMap<object, (u: unknown) => Result.Result<unknown, Schema.SchemaError>>();

const decoderFor = (schema: Schema.ConstraintDecoder<unknown>) => {
  let d = decoders.get(schema);
  if (!d) {
    d = Schema.decodeUnknownResult(schema) as (u: unknown) => Result.Result<unknown, Schema.SchemaError>;
    decoders.set(schema, d);
  }
  return d;
};

/** One row (or none: `undefined` stays `undefined`), decoded with `schema`. */
export const decodeRow = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, row: unknown, what: string): S["Type"] | undefined => {
  if (row === undefined) return undefined;
  const r = decoderFor(schema)(row);
  if (Result.isSuccess(r)) return r.success as S["Type"];
  throw new CairnError("internal", `a ${what} row read from the projection database has the wrong shape: ${r.failure.message}`);
};

/** Every row of a result, decoded with `schema`; the first bad row fails the whole read. */
export const decodeRows = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, rows: readonly unknown[], what: string): S["Type"][] =>
  rows.map((row) => decodeRow(schema, row, what) as S["Type"]);
