import type { ProjectionIssue } from "../schemas/index.ts";

/**
 * Judges whether the read models keep up with the log. Pure: the caller passes the clock and what
 * it saw, so tests need no timers. The projector asks it on a timer (its watchdog) and
 * `q.status.get` asks it for /health, so both see the same verdict.
 *
 * Why a watchdog besides restarting on consumer errors: a JetStream consumer can stop delivering
 * without ending or throwing (the client library waits up to its pull expiry — 30 s — between
 * checks after a reconnect it could not verify, and a deleted consumer is only noticed after two
 * missed heartbeats). "The log moved and the checkpoint did not" is the one symptom every such
 * failure shares, so that is what is watched.
 */

export interface WatchOptions {
  /** Log ahead and checkpoint unchanged this long: stalled (the consumer is restarted). */
  readonly stallMs: number;
  /** More events behind than this ... */
  readonly maxLag: number;
  /** ... for longer than this: degraded, even while progressing (a backlog a person should know of). */
  readonly lagGraceMs: number;
}

// 2 s: a healthy projector applies a 2,000-event batch in well under a second, and a consumer
// restart replays from the checkpoint (idempotent), so a false alarm costs little. 30 s of a
// 1,000-event backlog is long enough not to flag a burst the projector is already working off.
export const DEFAULT_WATCH: WatchOptions = { stallMs: 2_000, maxLag: 1_000, lagGraceMs: 30_000 };

export interface Observation {
  readonly checkpoint: number;
  readonly logLastSeq: number;
  /** A consumer is running (false between a failure and the retry). */
  readonly following: boolean;
  /** Why the last consumer ended, while no new one is running. */
  readonly failure: string | null;
}

export interface ProjectorHealth {
  readonly state: "ok" | "degraded";
  readonly issue: ProjectionIssue | null;
  /** For a person: what is wrong and what the gateway does about it. */
  readonly reason: string | null;
  /** The consumer should be restarted now. */
  readonly stalled: boolean;
}

const OK: ProjectorHealth = { state: "ok", issue: null, reason: null, stalled: false };
const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

export class ProgressWatch {
  private lastCheckpoint = -1;
  private progressAt = 0;
  private behindSince: number | undefined;

  constructor(private readonly opts: WatchOptions = DEFAULT_WATCH) {}

  observe(o: Observation, now: number): ProjectorHealth {
    const lag = Math.max(0, o.logLastSeq - o.checkpoint);
    // Progress, or nothing to do: the stall clock starts over.
    if (o.checkpoint !== this.lastCheckpoint || lag === 0) {
      this.lastCheckpoint = o.checkpoint;
      this.progressAt = now;
    }
    this.behindSince = lag > this.opts.maxLag ? (this.behindSince ?? now) : undefined;
    if (!o.following) {
      return {
        state: "degraded",
        issue: "consumer_failed",
        reason: `the read models stopped following the event log (${o.failure ?? "consumer ended"}); retrying from event ${o.checkpoint + 1}`,
        stalled: false,
      };
    }
    const still = now - this.progressAt;
    if (lag > 0 && still >= this.opts.stallMs) {
      return {
        state: "degraded",
        issue: "stalled",
        reason: `the read models are ${lag} event(s) behind the log and have not advanced for ${secs(still)}; restarting their consumer`,
        stalled: true,
      };
    }
    if (this.behindSince !== undefined && now - this.behindSince >= this.opts.lagGraceMs) {
      return {
        state: "degraded",
        issue: "lagging",
        reason: `the read models have been more than ${this.opts.maxLag} events behind the log for ${secs(now - this.behindSince)} (now ${lag}); history and lists may be out of date`,
        stalled: false,
      };
    }
    return OK;
  }

  /** A new consumer was started: it gets a full stall bound to show progress before the next restart. */
  restarted(now: number): void {
    this.progressAt = now;
  }
}
