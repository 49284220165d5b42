import * as Schema from "effect/Schema";
import { subjects, type EventLog } from "../../bus/index.ts";
import { WireError, type AnyStoredEvent } from "../../schemas/index.ts";
import { COOLDOWN_MAX_MS, cooldownMs } from "./fallback.policy.ts";

export interface Cooldown {
  /** Epoch ms until which the model is skipped. */
  readonly until: number;
  /** Consecutive failures so far (drives the exponential backoff). */
  readonly failures: number;
  /** Why it is cooling down: the error of its last failure. */
  readonly error: WireError;
}

/** What `run.failed` carries in `error.details.tried` when a fallback chain ran out. */
const Tried = Schema.Array(Schema.Struct({ model: Schema.String, cooldownUntil: Schema.NullOr(Schema.Number), error: WireError }));
const decodeTried = Schema.decodeUnknownOption(Schema.Struct({ tried: Tried }));

/**
 * Which models are cooling down after a retryable failure, derived only from run events: a
 * `run.model_switched` (and a `run.failed` whose chain ran out) carries the `cooldownUntil` that
 * was decided, and a `run.completed` on a model clears it. Memory holds nothing the log does not
 * say, so a restart rebuilds the same cooldowns (`rebuildCooldowns`).
 */
export class CooldownTracker {
  private readonly models = new Map<string, Cooldown>();
  /** The model each open run is on, so `run.completed` (which does not name it) can clear it. */
  private readonly runModels = new Map<string, string>();

  /** The model's cooldown if it is still cooling at `now`. */
  active(model: string, now: number): Cooldown | null {
    const c = this.models.get(model);
    return c && c.until > now ? c : null;
  }

  /** When a model failing now with `error` may be tried again. */
  nextUntil(model: string, error: WireError, now: number): number {
    return now + cooldownMs(this.failuresBefore(model, now) + 1, error);
  }

  /**
   * Records a failure decided at `at`. Ignored unless it extends the cooldown: replaying the same
   * event, or a switch that merely skipped a model already cooling, changes nothing.
   */
  failed(model: string, until: number, error: WireError, at: number): void {
    const prev = this.models.get(model);
    if (prev && prev.until >= until) return;
    this.models.set(model, { until, failures: this.failuresBefore(model, at) + 1, error });
  }

  /** A reply completed on this model: it is healthy again, backoff starts over. */
  succeeded(model: string): void {
    this.models.delete(model);
  }

  /** Feeds one stored event (used to rebuild from the log). */
  apply(e: AnyStoredEvent): void {
    if (e.kind !== "run") return;
    const run = e.aggregateId;
    switch (e.type) {
      case "run.started":
        this.runModels.set(run, e.data.model);
        break;
      case "run.model_switched":
        this.failed(e.data.from, e.data.cooldownUntil, e.data.error, e.time);
        this.runModels.set(run, e.data.to);
        break;
      case "run.completed": {
        const model = this.runModels.get(run);
        if (model) this.succeeded(model);
        this.runModels.delete(run);
        break;
      }
      case "run.failed": {
        const tried = decodeTried(e.data.error.details);
        if (tried._tag === "Some") {
          for (const t of tried.value.tried) if (t.cooldownUntil !== null) this.failed(t.model, t.cooldownUntil, t.error, e.time);
        }
        this.runModels.delete(run);
        break;
      }
      case "run.interrupted":
        this.runModels.delete(run);
        break;
    }
  }

  /** Consecutive failures, forgotten once the model has gone a full max-backoff past its cooldown. */
  private failuresBefore(model: string, now: number): number {
    const c = this.models.get(model);
    return c && now - c.until < COOLDOWN_MAX_MS ? c.failures : 0;
  }
}

/**
 * How far back a restart looks for cooldowns, in log sequences. Why the log and not the KV bucket:
 * the cooldowns are already facts in the log (each switch carries its `cooldownUntil`), so reading
 * them back keeps "the log is the truth" without a second, possibly diverging copy; and a bounded
 * tail read is cheap. The bound is in sequences because the log API reads by sequence: a cooldown
 * lasts at most `RETRY_AFTER_CAP_MS`, and a personal gateway writes far fewer than this many events
 * in that time. If one ever does, the oldest cooldowns are missed and those models get one request
 * each before they cool down again — a cost, never a wrong answer.
 */
export const COOLDOWN_REBUILD_WINDOW = 20_000;

/** Folds the run events of the log's tail into `tracker`; resolves with how many were read. */
export async function rebuildCooldowns(log: EventLog, tracker: CooldownTracker, window = COOLDOWN_REBUILD_WINDOW): Promise<number> {
  const filter = subjects.eventsOfKind("run");
  // The last *run* event bounds the read: a filtered read past the last match would wait forever.
  const untilSeq = await log.lastSeq(filter);
  if (untilSeq === 0) return 0;
  const fromSeq = Math.max(1, (await log.lastSeq()) - window + 1);
  let n = 0;
  for await (const r of log.read({ fromSeq, filter, untilSeq })) {
    if (r.ok) tracker.apply(r.event);
    n++;
  }
  return n;
}

/**
 * A tracker and the promise of its rebuild, which model calls await (so a cooling model is never
 * tried by mistake after a restart). It never rejects, and gives up after `timeoutMs`: a log that
 * does not answer must not hold every reply back — the cost is one request to a cooling model.
 */
export function loadCooldowns(
  log: EventLog,
  report: (line: string) => void,
  timeoutMs = 10_000,
): { tracker: CooldownTracker; ready: Promise<void> } {
  const tracker = new CooldownTracker();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = Promise.race([
    rebuildCooldowns(log, tracker),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the log did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
      timer.unref();
    }),
  ]).then(
    () => clearTimeout(timer),
    (e) => {
      clearTimeout(timer);
      report(`could not rebuild model cooldowns from the log (cooling models may be tried once): ${(e as Error).message}`);
    },
  );
  return { tracker, ready };
}
