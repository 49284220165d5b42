import { isDeepStrictEqual } from "node:util";
import type { HookEventName, HookLastRun, HookView } from "../../schemas/index.ts";
import { HookBreaker } from "./hook.breaker.ts";
import type { HookDef } from "./hook.discovery.ts";
import { MODIFIABLE, hookPayload, type ModifyingEvent, type ObservedEvent } from "./hook.events.ts";
import { type HookCommand, type HookOutcome, runHookCommand } from "./hook.runner.ts";
import type { HookPayload } from "./hook.events.ts";

/** A hook's decision that changes what happens: recorded as an event before it is acted on. */
export type HookDecision =
  | {
      readonly hook: string;
      readonly action: "modify";
      /** The new value of the event's modifiable key (`arguments`, `message`, `text`). */
      readonly value: unknown;
      /** For object values: the top-level keys whose value changed (the audit's "what changed"). */
      readonly changed: readonly string[];
    }
  | { readonly hook: string; readonly action: "block"; readonly reason: string };

export interface ModifyOptions {
  /** Hooks whose decision is already in the log (a run resumed after a crash): not run again. */
  readonly skip?: ReadonlySet<string>;
  /** Appends the decision; it is applied only once this resolves (effects after facts). */
  readonly record?: (d: HookDecision) => Promise<void>;
}

export interface ModifyResult {
  readonly data: Readonly<Record<string, unknown>>;
  readonly blocked: { readonly hook: string; readonly reason: string } | null;
}

export interface DispatcherDeps {
  readonly now: () => number;
  readonly report: (line: string) => void;
  /** The command runner (tests and benches may count calls); default the real child process. */
  readonly run?: (hook: HookCommand, payload: HookPayload) => Promise<HookOutcome>;
}

/** Observer processes at once, so a burst of events cannot fork hundreds of shells. */
const MAX_OBSERVERS = 8;

/**
 * Runs the eligible hooks of an event. Modifying events run their hooks one after the other, by
 * priority: each sees the data as the hooks before it left it, a block stops the chain, and each
 * change or block is recorded before the next hook runs. Observed events run their hooks in
 * parallel and nobody waits for them. A hook that fails (exit code, timeout, garbage, flood) is
 * skipped for that event — the action goes on — and counts against its breaker.
 */
export class HookDispatcher {
  private hooks: readonly HookDef[] = [];
  private byEvent = new Map<HookEventName, HookDef[]>();
  private readonly breakers = new Map<string, HookBreaker>();
  /** What each hook did the last time an event reached it (in memory, like the breakers: facts of this process). */
  private readonly lastRuns = new Map<string, HookLastRun>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly run: (hook: HookCommand, payload: HookPayload) => Promise<HookOutcome>;

  constructor(
    hooks: readonly HookDef[],
    private readonly deps: DispatcherDeps,
  ) {
    this.run = deps.run ?? runHookCommand;
    this.load(hooks);
  }

  /** Replaces the hook set (breakers of hooks that stay are kept). */
  load(hooks: readonly HookDef[]): void {
    this.hooks = hooks;
    this.byEvent = new Map();
    for (const h of hooks) {
      if (!h.eligible) continue;
      for (const e of h.events) this.byEvent.set(e, [...(this.byEvent.get(e) ?? []), h]);
    }
  }

  /** Whether any eligible hook listens to the event (callers skip building a payload when not). */
  has(event: HookEventName): boolean {
    return (this.byEvent.get(event)?.length ?? 0) > 0;
  }

  async modify(
    event: ModifyingEvent,
    data: Record<string, unknown>,
    sessionId: string | null,
    o: ModifyOptions = {},
  ): Promise<ModifyResult> {
    const { key, kind } = MODIFIABLE[event];
    let current: Record<string, unknown> = data;
    for (const hook of this.byEvent.get(event) ?? []) {
      if (o.skip?.has(hook.name)) continue;
      const outcome = await this.attempt(hook, hookPayload(event, current, sessionId, this.deps.now()));
      if (!outcome) continue;
      if (outcome.kind === "block") {
        await o.record?.({ hook: hook.name, action: "block", reason: outcome.reason });
        return { data: current, blocked: { hook: hook.name, reason: outcome.reason } };
      }
      if (outcome.kind !== "modify") continue;
      const value = outcome.data[key];
      const fits = kind === "string" ? typeof value === "string" : typeof value === "object" && value !== null && !Array.isArray(value);
      if (!fits) {
        const why = `modified ${event} without a ${kind} '${key}' in data`;
        this.fail(hook, why);
        this.noteRun(hook, event, "failed", this.lastRuns.get(hook.name)?.durationMs ?? 0, why);
        continue;
      }
      if (isDeepStrictEqual(value, current[key])) continue;
      const changed = kind === "object" ? keysChanged(current[key] as Record<string, unknown>, value as Record<string, unknown>) : [key];
      await o.record?.({ hook: hook.name, action: "modify", value, changed });
      current = { ...current, [key]: value };
    }
    return { data: current, blocked: null };
  }

  /** Fires an observed event. Never rejects and is never awaited by the agent loop. */
  observe(event: ObservedEvent, data: Record<string, unknown>, sessionId: string | null): void {
    const hooks = this.byEvent.get(event);
    if (!hooks) return;
    const payload = hookPayload(event, data, sessionId, this.deps.now());
    for (const hook of hooks) {
      // Node's spawn forks synchronously (milliseconds each): started on a later turn, so the
      // step that fired the event never waits for its observers' processes.
      const p = new Promise<void>((r) => setImmediate(r))
        .then(() => this.throttled(() => this.attempt(hook, payload)))
        .then(
          () => undefined,
          () => undefined,
        );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  /** Resolves when the observers fired so far have finished (shutdown waits for GatewayStop's). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Runs one hook on a payload, bypassing its breaker (`cairn hooks test`); the outcome as is. */
  test(hook: HookDef, payload: HookPayload): Promise<HookOutcome> {
    return this.run(commandOf(hook), payload);
  }

  views(): HookView[] {
    return this.hooks.map((h) => ({
      name: h.name,
      description: h.description,
      source: h.source,
      path: h.path,
      events: [...h.events],
      command: h.command,
      timeoutMs: h.timeoutMs,
      priority: h.priority,
      enabled: h.enabled,
      eligible: h.eligible,
      reasons: [...h.reasons],
      ...(this.breakers.has(h.name) ? { breaker: this.breakerOf(h).view() } : {}),
      ...(this.lastRuns.has(h.name) ? { lastRun: this.lastRuns.get(h.name) } : {}),
    }));
  }

  /** One run of a hook through its breaker: the outcome, or undefined when skipped or failed. */
  private async attempt(hook: HookDef, payload: HookPayload): Promise<HookOutcome | undefined> {
    const breaker = this.breakerOf(hook);
    if (!breaker.allow()) {
      this.noteRun(hook, payload.event, "skipped", 0, breaker.view().lastError);
      return undefined;
    }
    const t0 = this.deps.now();
    const outcome = await this.run(commandOf(hook), payload);
    const ms = this.deps.now() - t0;
    if (outcome.kind === "failed") {
      this.noteRun(hook, payload.event, "failed", ms, outcome.error);
      this.fail(hook, `${payload.event}: ${outcome.error}`);
      return undefined;
    }
    this.noteRun(hook, payload.event, outcome.kind, ms, outcome.kind === "block" ? outcome.reason : null);
    breaker.success();
    return outcome;
  }

  private noteRun(hook: HookDef, event: HookEventName, outcome: HookLastRun["outcome"], durationMs: number, detail: string | null): void {
    this.lastRuns.set(hook.name, { at: this.deps.now(), event, outcome, durationMs, detail });
  }

  private fail(hook: HookDef, error: string): void {
    const opened = this.breakerOf(hook).failure(error);
    this.deps.report(`hook ${hook.name} failed (${error})${opened ? "; it is disabled for 60 s (5 failures in a row)" : ""}`);
  }

  private breakerOf(hook: HookDef): HookBreaker {
    let b = this.breakers.get(hook.name);
    if (!b) {
      b = new HookBreaker(this.deps.now);
      this.breakers.set(hook.name, b);
    }
    return b;
  }

  private async throttled<T>(f: () => Promise<T>): Promise<T> {
    while (this.running >= MAX_OBSERVERS) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await f();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

const commandOf = (h: HookDef): HookCommand => ({ name: h.name, command: h.command, cwd: h.dir, env: h.env, timeoutMs: h.timeoutMs });

const keysChanged = (before: Record<string, unknown> | undefined, after: Record<string, unknown>): string[] => {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  return [...keys].filter((k) => !isDeepStrictEqual(before?.[k], after[k])).sort();
};
