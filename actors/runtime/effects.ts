/**
 * Effects: what a machine's actions do in the world, run by the host only after the event that
 * returned them is durable. A machine declares each effect as an action placeholder in `setup`;
 * its owner supplies the implementations as one typed table, checked complete when attached — an
 * action with no implementation is a start-up error, never skipped silently.
 */

/** An effect implementation: its params as the machine's action gave them. */
export type EffectFn = (params: never, ctx: { id: string }) => Promise<void> | void;

/** Effect implementations keyed by the machine's action names (an interface of them fits). */
export type EffectTable<E = Record<string, EffectFn>> = { readonly [K in keyof E]: EffectFn };

/** One effect that threw: what the supervisor gets. */
export interface EffectFailure {
  readonly id: string;
  readonly action: string;
  readonly params: unknown;
  readonly error: unknown;
}

/**
 * Turns a failed effect into an event (or retries it). Required: a failure that is only logged
 * leaves an aggregate waiting forever (a session busy with a run that never started).
 */
export type EffectSupervisor = (failure: EffectFailure) => Promise<void>;

/** The machine's effect action names: every `setup({ actions })` entry that is not a built-in. */
export const declaredEffects = (machine: { implementations: { actions: Record<string, unknown> } }): string[] =>
  Object.entries(machine.implementations.actions)
    // assign/raise/... are objects XState runs itself; placeholders for effects are plain functions.
    .filter(([, a]) => typeof a === "function" && !("resolve" in (a as object)))
    .map(([name]) => name);
