import { retry } from "../../bus/index.ts";
import type { AggregateKind } from "../../schemas/index.ts";

/**
 * How an effect sends a command to an aggregate. In one process it calls the owning host directly;
 * split across processes it becomes a NATS request on `cmd.<kind>.<id>.<verb>`. Effects never know
 * which.
 */
export type Dispatch = (kind: AggregateKind, id: string, verb: string, params: unknown) => Promise<unknown>;

/**
 * Retries a dispatch while the bus is unavailable (NATS restarting), so a finished run is not lost
 * to a short outage. Other errors are final. Gives up after `attempts`; adoption on the next start
 * then repairs what is left.
 */
export const withRetry =
  (dispatch: Dispatch, opts: { attempts?: number; baseMs?: number } = {}): Dispatch =>
  (kind, id, verb, params) =>
    retry(() => dispatch(kind, id, verb, params), {
      attempts: opts.attempts ?? 8,
      baseMs: opts.baseMs ?? 250,
      maxMs: 5_000,
      retryable: (e) => {
        const code = (e as { code?: string }).code;
        return code === "unavailable" || code === "timeout";
      },
    });
