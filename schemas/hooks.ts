import * as Schema from "effect/Schema";

/**
 * Lifecycle hooks: the HOOK.md front matter, the `[[hooks]]` entries of cairn.toml, the events a
 * hook may subscribe to, and what the gateway reports about each hook (`cairn hooks list --json`,
 * `hooks.list`). Names are the ones users of the seed product know (HOOK.md, `BeforeToolCall`, ...).
 */

/**
 * Every event cairn fires. The first three may change or refuse what they are about (run one
 * hook after the other, by priority); the others only observe (run in parallel). Seed events cairn
 * has no counterpart for yet are not declared: `BeforeCompaction`/`AfterCompaction` (no context
 * compaction exists), `ToolResultPersist` and `Command` (no slash commands).
 */
export const HookEventName = Schema.Literals([
  "BeforeToolCall",
  "BeforeAgentStart",
  "MessageSending",
  "AfterToolCall",
  "BeforeLLMCall",
  "AfterLLMCall",
  "MessageReceived",
  "MessageSent",
  "AgentEnd",
  "SessionStart",
  "SessionEnd",
  "ApprovalRequested",
  "ApprovalDecided",
  "NodeConnected",
  "NodeDisconnected",
  "CronRun",
  "GatewayStart",
  "GatewayStop",
]);
export type HookEventName = typeof HookEventName.Type;

/** A hook's name is a directory name and part of event ids: one token. */
export const HookName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { message: "a hook name is letters, digits, '-' or '_' (e.g. \"audit-log\")" }),
  Schema.isMaxLength(48),
);

const Seconds = Schema.Number.check(Schema.isBetween({ minimum: 0.05, maximum: 600 }));

/** `[requires]`: a hook whose requirements are not met is skipped, listed with the reason. */
export const HookRequires = Schema.Struct({
  os: Schema.optionalKey(Schema.Array(Schema.String)),
  bins: Schema.optionalKey(Schema.Array(Schema.String)),
  env: Schema.optionalKey(Schema.Array(Schema.String)),
});
export type HookRequires = typeof HookRequires.Type;

/** The front matter of a HOOK.md (`+++` TOML as in the seed, or `---` YAML). */
export const HookFrontMatter = Schema.Struct({
  name: HookName,
  description: Schema.optionalKey(Schema.String),
  events: Schema.Array(HookEventName).check(Schema.isMinLength(1)),
  /** Run with `sh -c` in the hook's directory (so `./handler.sh` works). */
  command: Schema.String.check(Schema.isMinLength(1)),
  /** Seconds (default 5). */
  timeout: Schema.optionalKey(Seconds),
  /** Higher runs first (default 0). */
  priority: Schema.optionalKey(Schema.Int),
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  requires: Schema.optionalKey(HookRequires),
  /** false: discovered and listed, never run (bundled hooks ship this way). */
  enabled: Schema.optionalKey(Schema.Boolean),
});
export type HookFrontMatter = typeof HookFrontMatter.Type;

/**
 * One `[[hooks]]` table. With `command` and `events` it defines a hook (a relative command runs
 * in the config file's directory); with only a name it tunes a discovered or bundled one
 * (`enabled = true` turns a bundled hook on, `env`, `priority`, `timeout` override).
 */
export const HookConfigEntry = Schema.Struct({
  name: HookName,
  description: Schema.optionalKey(Schema.String),
  events: Schema.optionalKey(Schema.Array(HookEventName).check(Schema.isMinLength(1))),
  command: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  timeout: Schema.optionalKey(Seconds),
  priority: Schema.optionalKey(Schema.Int),
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  requires: Schema.optionalKey(HookRequires),
  enabled: Schema.optionalKey(Schema.Boolean),
});
export type HookConfigEntry = typeof HookConfigEntry.Type;

/** Where a hook was found, in precedence order (a name found earlier hides a later one). */
export const HookSource = Schema.Literals(["project", "user", "config", "bundled"]);
export type HookSource = typeof HookSource.Type;

/** The circuit breaker of one hook: `open` (disabled until `retryAt`) after 5 failures in a row. */
export const HookBreakerView = Schema.Struct({
  state: Schema.Literals(["closed", "open", "half-open"]),
  failures: Schema.Int,
  retryAt: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String),
});
export type HookBreakerView = typeof HookBreakerView.Type;

/** The last time the gateway ran a hook: which event, what the hook decided, how long it took. */
export const HookLastRun = Schema.Struct({
  at: Schema.Number,
  event: HookEventName,
  /** `skipped`: its breaker was open, so it did not run. */
  outcome: Schema.Literals(["continue", "modify", "block", "failed", "skipped"]),
  durationMs: Schema.Number,
  /** Why it failed, or the reason it gave for a block. */
  detail: Schema.NullOr(Schema.String),
});
export type HookLastRun = typeof HookLastRun.Type;

/** A discovered hook as `cairn hooks list --json` and the UI show it. */
export const HookView = Schema.Struct({
  name: HookName,
  description: Schema.String,
  source: HookSource,
  /** The HOOK.md (or cairn.toml) it came from. */
  path: Schema.String,
  events: Schema.Array(HookEventName),
  command: Schema.String,
  timeoutMs: Schema.Number,
  priority: Schema.Int,
  enabled: Schema.Boolean,
  eligible: Schema.Boolean,
  /** Why it does not run: disabled, a requirement not met (each named), or a parse error. */
  reasons: Schema.Array(Schema.String),
  breaker: Schema.optionalKey(HookBreakerView),
  /** Absent until the gateway ran it (and in `cairn hooks list`, which runs nothing). */
  lastRun: Schema.optionalKey(HookLastRun),
});
export type HookView = typeof HookView.Type;

/** WS methods of the Hooks page. */
export const hookMethodParams = {
  /** Every discovered hook of the answering gateway, with its breaker and last run. */
  "hooks.list": Schema.Struct({}),
} as const;
