import { AuthError, type AuthAction, authErrorText } from "./auth.ts";
import { Cooldown } from "./cooldown.svelte.ts";

/**
 * What the sign-in and setup forms show after a failure: the words, the field they are about, and
 * for the gateway's guess limit a countdown instead (the text goes and the form opens again when
 * it ends, so nobody presses a button that can only fail).
 */
export class AuthProblemState<Field extends string = never> {
  #problem = $state<{ text: string; rateLimited: boolean; field: Field | null } | null>(null);
  readonly #cooldown = new Cooldown();

  /** A problem the form found itself, before sending anything. */
  say(text: string, field: Field | null = null): void {
    this.#problem = { text, rateLimited: false, field };
  }

  /** A failed request: its words, and the countdown when the gateway said when to try again. */
  fail(e: unknown, action: AuthAction, field: Field | null = null): void {
    const limited = e instanceof AuthError && e.code === "rate_limited";
    this.#problem = { text: authErrorText(e, action), rateLimited: limited, field };
    if (limited) this.#cooldown.start((e as AuthError).retryAfter ?? 5);
  }

  clear(): void {
    this.#problem = null;
  }

  /** Ends the countdown's timer (when the form goes away). */
  stop(): void {
    this.#cooldown.stop();
  }

  /** True while the guess limit's countdown runs. */
  get waiting(): boolean {
    return this.#cooldown.remaining > 0;
  }

  get field(): Field | null {
    return this.#problem?.field ?? null;
  }

  /** The input was refused (not merely asked to wait). */
  get invalid(): boolean {
    return !!this.#problem && !this.#problem.rateLimited;
  }

  /** What to show now, or null. */
  get text(): string | null {
    const p = this.#problem;
    if (!p?.rateLimited) return p?.text ?? null;
    return this.waiting ? `Too many attempts, try again in ${this.#cooldown.remaining} s.` : null;
  }
}
