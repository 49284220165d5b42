import type { AggregateKind } from "../../schemas/index.ts";

/**
 * How an effect sends a command to an aggregate. In one process it calls the owning host directly;
 * split across processes it becomes a NATS request on `cmd.<kind>.<id>.<verb>`. Effects never know
 * which.
 */
export type Dispatch = (kind: AggregateKind, id: string, verb: string, params: unknown) => Promise<unknown>;

/**
 * Retries a dispatch while the bus is unavailable (NATS restarting), so a finished run is not lost
 * to a short outage. Other errors are final. Gives up after `attempts`; recovery on the next start
 * then repairs what is left.
 */
export const withRetry =
  (dispatch: Dispatch, opts: { attempts?: number; baseMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Dispatch =>
  async (kind, id, verb, params) => {
    const attempts = opts.attempts ?? 8;
    const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    for (let i = 1; ; i++) {
      try {
        return await dispatch(kind, id, verb, params);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (i >= attempts || (code !== "unavailable" && code !== "timeout")) throw e;
        await sleep(Math.min(5000, (opts.baseMs ?? 250) * 2 ** (i - 1)));
      }
    }
  };
