import type { LogRecord } from "../bus/index.ts";
import type { Db } from "./db.ts";

/** What applying one record changed, so the projector can notify the right live subscribers. */
export interface Touched {
  sessions: Set<string>;
  sessionList: boolean;
}

/** A read model: builds its prepared statements once per database, then applies records. */
export interface Projection {
  readonly name: string;
  bind(db: Db): (record: LogRecord, touched: Touched) => void;
}
