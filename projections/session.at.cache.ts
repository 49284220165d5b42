import type { EventLog } from "../bus/index.ts";
import { loadSessionEvents, refreshSessionEvents, type LoadedSession } from "./session.at.ts";

/**
 * A tail longer than this is not worth reading for one session: loading the session again reads
 * only its own aggregates.
 */
const REFRESH_TAIL_LIMIT = 20_000;
/** Events kept over all cached sessions (the newest-used session is always kept). */
const DEFAULT_MAX_EVENTS = 100_000;

/**
 * The sessions the timeline scrubber is moving through, kept between its requests. Loading a long
 * session is one read per run and approval it ever had (a 1,000-turn session: ~2,000 aggregates);
 * each move of the scrubber after the first only reads what the log gained since (`refreshSessionEvents`),
 * so it costs the fold, not the load. Least recently used sessions go first.
 */
export class SessionEventsCache {
  private readonly entries = new Map<string, LoadedSession>();

  constructor(
    private readonly log: EventLog,
    private readonly approvalIdOf: (runId: string, callId: string) => string,
    private readonly maxEvents = DEFAULT_MAX_EVENTS,
  ) {}

  async get(key: string): Promise<LoadedSession> {
    const held = this.entries.get(key);
    const end = held ? await this.log.lastSeq() : 0;
    const s =
      held && end - held.upTo <= REFRESH_TAIL_LIMIT
        ? await refreshSessionEvents(this.log, held, this.approvalIdOf, end)
        : await loadSessionEvents(this.log, key, this.approvalIdOf);
    this.entries.delete(key);
    this.entries.set(key, s);
    let total = 0;
    for (const e of this.entries.values()) total += e.events.length;
    for (const [k, e] of this.entries) {
      if (total <= this.maxEvents || k === key) break;
      this.entries.delete(k);
      total -= e.events.length;
    }
    return s;
  }
}
