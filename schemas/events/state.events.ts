import * as Schema from "effect/Schema";

/**
 * Events of a session's key-value state (`evt.state.<sessionKey>`): what skills and the agent
 * remember across messages of one session, scoped by namespace. Values are strings (JSON is the
 * caller's business); the time of an entry is the time of its event.
 */

/** Bytes of one value (UTF-8): big enough for a JSON note, small enough to keep events light. */
export const STATE_MAX_VALUE_BYTES = 16 * 1024;
/** Entries of one session, all namespaces together. */
export const STATE_MAX_ENTRIES = 500;
/**
 * Value bytes of one session together. A snapshot of the aggregate is one NATS message, and the
 * server's default max payload is 1 MB: this keeps a full store's snapshot well under it.
 */
export const STATE_MAX_TOTAL_BYTES = 512 * 1024;

// Both start with a letter or digit: never `__proto__`, never hidden, never empty.
export const STATE_NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const STATE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;

export const StateNamespace = Schema.String.check(
  Schema.isPattern(STATE_NAMESPACE_PATTERN, {
    message: "a namespace is 1-64 characters: letters, digits, '_', '.' or '-', starting with a letter or digit (use your skill's name)",
  }),
);
export const StateKey = Schema.String.check(
  Schema.isPattern(STATE_KEY_PATTERN, {
    message: "a key is 1-128 characters: letters, digits, '_', '.', ':', '/' or '-', starting with a letter or digit",
  }),
);

/** UTF-8 length without Node's Buffer: schemas are also used by the browser UI. */
export const utf8Bytes = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3; // includes a lone surrogate, which encodes as U+FFFD
  }
  return n;
};

export const StateValue = Schema.String.check(
  Schema.makeFilter((s: string) =>
    utf8Bytes(s) <= STATE_MAX_VALUE_BYTES
      ? undefined
      : `a value is at most ${STATE_MAX_VALUE_BYTES / 1024} KiB (UTF-8); this one is ${utf8Bytes(s)} bytes — store less, or split it over several keys`,
  ),
);

export const StateValueSet = Schema.Struct({ namespace: StateNamespace, key: StateKey, value: StateValue });
export const StateValueDeleted = Schema.Struct({ namespace: StateNamespace, key: StateKey });

export const stateEvents = {
  "state.value_set": { version: 1, schema: StateValueSet },
  "state.value_deleted": { version: 1, schema: StateValueDeleted },
} as const;
