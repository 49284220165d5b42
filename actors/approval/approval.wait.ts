import { createHash } from "node:crypto";
import type { Dispatch } from "../runtime/index.ts";
import type { ApprovalView } from "./approval.commands.ts";

/** The approval of one tool call: derived from run and call, so a retried request finds the same one. */
export const approvalIdFor = (runId: string, callId: string): string =>
  `ap-${createHash("sha256").update(`${runId}\n${callId}`).digest("hex").slice(0, 16)}`;

/**
 * In-process wake-ups: the approval host's `decided` effect (run after the decision is durable)
 * calls `notify`; waiters then read the decided state from the host. Nothing here is truth.
 */
export class ApprovalWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();

  notify(id: string): void {
    for (const wake of this.#waiting.get(id) ?? []) wake();
  }

  /**
   * Resolves with the approval once it is decided. Arms a timer at the approval's deadline (from
   * the log, so a waiter after a restart re-arms it) that expires it; the first answer still wins.
   * Rejects with the signal's reason when the run stops waiting (shutdown, run timeout).
   */
  wait(o: {
    id: string;
    read: (id: string) => Promise<ApprovalView>;
    dispatch: Dispatch;
    now: () => number;
    signal: AbortSignal;
  }): Promise<ApprovalView> {
    return new Promise<ApprovalView>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const set = this.#waiting.get(o.id) ?? new Set();
      this.#waiting.set(o.id, set);
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        set.delete(check);
        if (set.size === 0) this.#waiting.delete(o.id);
        o.signal.removeEventListener("abort", onAbort);
        f();
      };
      const check = () => {
        o.read(o.id).then(
          (v) => {
            if (v.status !== "pending" && v.status !== "new") return finish(() => resolve(v));
            if (timer === undefined && !done) {
              const expire = () =>
                o.dispatch("approval", o.id, "expire", {}).then(
                  () => check(),
                  (e) => finish(() => reject(e)),
                );
              // setTimeout's bound is ~24.8 days; a longer deadline re-arms on the next check.
              timer = setTimeout(
                () => {
                  timer = undefined;
                  if (o.now() >= v.expiresAt) void expire();
                  else check();
                },
                Math.min(Math.max(0, v.expiresAt - o.now()), 2 ** 31 - 1),
              );
            }
          },
          (e) => finish(() => reject(e)),
        );
      };
      const onAbort = () => finish(() => reject(o.signal.reason));
      if (o.signal.aborted) return onAbort();
      o.signal.addEventListener("abort", onAbort);
      set.add(check);
      check();
    });
  }
}
