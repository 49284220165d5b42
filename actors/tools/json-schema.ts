import * as Schema from "effect/Schema";
import type { ToolParameters } from "../llm/index.ts";

/**
 * The JSON Schema a provider receives for a tool's arguments, generated from the same effect
 * Schema that decodes them. Providers accept only a self-contained object schema, so `$ref`s into
 * the document's definitions are inlined (a recursive schema cannot be, and is refused) and no
 * `$schema`/`$defs` remain. Excess properties are closed, matching the decoder.
 */
export function jsonSchemaParameters(schema: Schema.ConstraintDecoder<unknown>): ToolParameters {
  const doc = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" });
  const defs = (doc.definitions ?? {}) as Record<string, unknown>;
  const root = inline(doc.schema, defs, []) as Record<string, unknown>;
  if (root.type !== "object") {
    throw new Error(`tool parameters must be an object schema, got ${JSON.stringify(root.type)}`);
  }
  const { $schema: _s, $defs: _d, ...rest } = root;
  return { ...rest, type: "object" };
}

function inline(node: unknown, defs: Record<string, unknown>, seen: readonly string[]): unknown {
  if (Array.isArray(node)) return node.map((n) => inline(n, defs, seen));
  if (node === null || typeof node !== "object") return node;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === "string") {
    const name = decodeURIComponent(obj.$ref.replace(/^#\/(\$defs|definitions)\//, ""))
      .replace(/~1/g, "/")
      .replace(/~0/g, "~");
    if (seen.includes(name)) throw new Error(`recursive tool parameter schema (${name}) cannot be inlined`);
    if (!(name in defs)) throw new Error(`unresolved $ref ${obj.$ref} in tool parameter schema`);
    const { $ref: _r, ...siblings } = obj;
    const target = inline(defs[name], defs, [...seen, name]) as Record<string, unknown>;
    return { ...target, ...(inline(siblings, defs, seen) as Record<string, unknown>) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // Schema.Int's safe-integer bounds are noise to a model.
    if ((k === "maximum" && v === Number.MAX_SAFE_INTEGER) || (k === "minimum" && v === Number.MIN_SAFE_INTEGER)) continue;
    out[k] = inline(v, defs, seen);
  }
  return out;
}
