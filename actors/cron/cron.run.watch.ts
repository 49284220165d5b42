import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../bus/index.ts";
import type { RunStatus, Usage, WireError } from "../../schemas/index.ts";

/** How a run ended, as its own aggregate says. */
export interface RunOutcome {
  readonly status: RunStatus;
  readonly usage: Usage | null;
  readonly error: WireError | null;
}

/** Checked this often besides the live wake-up: a core NATS message may be lost, the run's log is not. */
const RECHECK_MS = 5_000;

/**
 * Resolves when the run has ended, with its outcome read from the run aggregate (the truth); the
 * session's live `run.ended` message only wakes the check up. Resolves undefined when aborted.
 */
export function runEnded(
  nc: NatsConnection,
  readRun: (runId: string, sessionKey: string) => Promise<{ status: string; usage: Usage | null; error: WireError | null }>,
  sessionKey: string,
  runId: string,
  signal: AbortSignal,
): Promise<RunOutcome | undefined> {
  return new Promise((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sub = nc.subscribe(subjects.liveSession(sessionKey), {
      callback: (_err, msg) => {
        // Only a hint: the outcome is read from the run itself.
        const hint = (() => {
          try {
            return msg.json<{ type?: unknown; runId?: unknown }>();
          } catch {
            return undefined;
          }
        })();
        if (hint?.type === "run.ended" && hint.runId === runId) check();
      },
    });
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.unsubscribe();
      signal.removeEventListener("abort", onAbort);
      f();
    };
    const check = () => {
      clearTimeout(timer);
      readRun(runId, sessionKey).then(
        (r) => {
          if (r.status !== "new" && r.status !== "running") return finish(() => resolve(r as RunOutcome));
          if (!done) timer = setTimeout(check, RECHECK_MS);
        },
        (e) => finish(() => reject(e)),
      );
    };
    const onAbort = () => finish(() => resolve(undefined));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort);
    // Subscribed first, then read: an end between the two is not missed.
    check();
  });
}
