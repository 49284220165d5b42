import type { LogRecord } from "../bus/index.ts";
import type { Db } from "./db.ts";

/** What applying one record changed, so the projector can notify the right live subscribers. */
export interface Touched {
  sessions: Set<string>;
  sessionList: boolean;
}

/**
 * Applies one record. A read model that gathers its writes in memory (sums per minute, an event
 * waiting for its pair) gives `flush`, which writes them: it runs before every commit, in the
 * same transaction, so what is committed is whole.
 */
export type Apply = ((record: LogRecord, touched: Touched) => void) & { readonly flush?: () => void };

/** A read model: builds its prepared statements once per database, then applies records. */
export interface Projection {
  readonly name: string;
  bind(db: Db): Apply;
}

/** Several read models bound to one database, applied and flushed together. */
export const bindAll = (projections: readonly Projection[], db: Db): { apply: (r: LogRecord, t: Touched) => void; flush: () => void } => {
  const bound = projections.map((p) => p.bind(db));
  const flushes = bound.flatMap((b) => (b.flush ? [b.flush] : []));
  return {
    apply: (r, t) => {
      for (const apply of bound) apply(r, t);
    },
    flush: () => {
      for (const flush of flushes) flush();
    },
  };
};
