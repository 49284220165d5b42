import * as Schema from "effect/Schema";
import { CairnError, STATE_MAX_ENTRIES, STATE_MAX_VALUE_BYTES, StateKey, StateNamespace } from "../../schemas/index.ts";
import type { SessionStateStore, StateItem } from "../state/index.ts";
import { defineTool, type Tool } from "./tool.registry.ts";

/** A listed value longer than this is cut (the model can `get` the whole value). */
export const STATE_LIST_VALUE_CHARS = 200;
/** Bytes of a `list` answer; past it the listing stops and says so. */
export const STATE_LIST_OUTPUT_BYTES = 16 * 1024;

/**
 * One flat object rather than a union per op: providers require an object at the root of a tool's
 * parameters and `jsonSchemaParameters` refuses anything else. Which fields each op needs is
 * checked in `run`, with an error that tells the model what to send.
 */
export const SessionStateParams = Schema.Struct({
  op: Schema.Literals(["get", "set", "list", "delete"]).annotate({
    description: "get: read one value; set: store a value; list: all keys of the namespace with their values; delete: remove one key.",
  }),
  namespace: StateNamespace.annotate({ description: 'Groups keys so skills do not collide; use your skill\'s name (e.g. "my-skill").' }),
  key: Schema.optionalKey(StateKey.annotate({ description: "The key (get, set, delete)." })),
  value: Schema.optionalKey(
    Schema.String.annotate({
      description: `The value to store (set only); a string, at most ${STATE_MAX_VALUE_BYTES / 1024} KiB — serialize structured data as JSON.`,
    }),
  ),
});
type Args = typeof SessionStateParams.Type;

const iso = (ms: number) => new Date(ms).toISOString();

const need = (args: Args, field: "key" | "value"): string => {
  const v = args[field];
  if (v === undefined)
    throw new CairnError("bad_request", `session_state op "${args.op}" needs \`${field}\``, { reason: "missing_field", field });
  return v;
};

const refuse = (args: Args, field: "key" | "value", hint: string) => {
  if (args[field] !== undefined) {
    throw new CairnError("bad_request", `session_state op "${args.op}" takes no \`${field}\`; ${hint}`, {
      reason: "unexpected_field",
      field,
    });
  }
};

/** The `list` answer: entries sorted by key, long values cut, the whole capped in bytes. */
const listing = (namespace: string, items: readonly StateItem[]): { output: string; truncated?: boolean } => {
  const shown: Array<{ key: string; value: string; updatedAt: string; valueTruncated?: true }> = [];
  let bytes = 0;
  for (const it of items) {
    const cut = it.value.length > STATE_LIST_VALUE_CHARS;
    const row = {
      key: it.key,
      value: cut ? it.value.slice(0, STATE_LIST_VALUE_CHARS) : it.value,
      updatedAt: iso(it.updatedAt),
      ...(cut ? { valueTruncated: true as const } : {}),
    };
    const size = Buffer.byteLength(JSON.stringify(row));
    if (bytes + size > STATE_LIST_OUTPUT_BYTES && shown.length > 0) break;
    shown.push(row);
    bytes += size;
  }
  const more = items.length - shown.length;
  const out = {
    namespace,
    count: items.length,
    entries: shown,
    ...(more > 0 ? { omitted: more, note: `${more} more entries not shown; get them one by one by key` } : {}),
  };
  const truncated = more > 0 || shown.some((r) => r.valueTruncated);
  return { output: JSON.stringify(out, null, 1), ...(truncated ? { truncated: true } : {}) };
};

/**
 * The `session_state` tool: a key-value store of the current session (scoped by namespace),
 * kept across messages and restarts. Every change is an event in the log, so it is audited.
 */
export const sessionStateTool = (store: SessionStateStore): Tool<Args> =>
  defineTool({
    name: "session_state",
    description:
      "Remember small pieces of information for the rest of this session (survives restarts; other sessions do not see it). " +
      `Values are strings up to ${STATE_MAX_VALUE_BYTES / 1024} KiB (use JSON for structured data); at most ${STATE_MAX_ENTRIES} keys per session. ` +
      'Examples: {"op":"set","namespace":"my-skill","key":"last_query","value":"..."}, {"op":"get","namespace":"my-skill","key":"last_query"}, {"op":"list","namespace":"my-skill"}.',
    source: "builtin",
    dangerous: false,
    params: SessionStateParams,
    async run(args, ctx) {
      const { namespace } = args;
      switch (args.op) {
        case "get": {
          refuse(args, "value", 'to store a value use op "set"');
          const key = need(args, "key");
          const e = await store.get(ctx.sessionKey, namespace, key);
          return {
            output: JSON.stringify(
              e ? { namespace, key, found: true, value: e.value, updatedAt: iso(e.updatedAt) } : { namespace, key, found: false },
            ),
          };
        }
        case "set": {
          const key = need(args, "key");
          const r = await store.set(ctx.sessionKey, namespace, key, need(args, "value"));
          return { output: JSON.stringify({ namespace, key, stored: true, changed: r.changed, updatedAt: iso(r.updatedAt) }) };
        }
        case "delete": {
          refuse(args, "value", "delete removes the key whatever its value");
          const key = need(args, "key");
          return { output: JSON.stringify({ namespace, key, deleted: await store.delete(ctx.sessionKey, namespace, key) }) };
        }
        case "list": {
          refuse(args, "key", "list returns every key of the namespace");
          refuse(args, "value", "list only reads");
          return listing(namespace, await store.list(ctx.sessionKey, namespace));
        }
      }
    },
  });
