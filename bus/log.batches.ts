import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from "@nats-io/jetstream";
import { consumedRecord, type RawRecord } from "./event-log.decode.ts";
import { isBusUnavailable } from "./nats.errors.ts";
import { retry } from "./retry.ts";
import { EVENTS_STREAM, subjects } from "./subjects.ts";

/**
 * Messages asked of the server at once. A bulk read (verify, replay, archive) is bounded by the
 * round trips and wake-ups of the pull requests at small sizes: 512 cost a pull every ~130
 * messages, each a context switch to nats-server on a loaded machine.
 */
const PULL = 8192;
/** Messages handed to the reader at once: one promise per chunk instead of one per message. */
const CHUNK = 1024;

/**
 * A bounded stretch of the log (`fromSeq`..`untilSeq`, optionally filtered) in chunks of raw
 * records (headers and payload bytes as received), in order. An ordered consumer (it recreates
 * itself after a gap or a reconnect) delivers to a callback, not to the library's per-message
 * async iterator; messages wait in chunks until the reader takes them. The reader processes a chunk synchronously, so the socket is read only
 * as fast as it keeps up. `stopWhenCaughtUp`: end at the last stored match even before `untilSeq`
 * (a filter's last match may lie before it).
 */
export async function* logBatches(
  js: JetStreamClient,
  o: { fromSeq: number; untilSeq: number; filter?: string; stopWhenCaughtUp?: boolean; signal?: AbortSignal },
): AsyncGenerator<RawRecord[]> {
  // Sequences start at 1: a stream that never held a message reports 0..0, and a consumer asked
  // for it would wait forever for its first message.
  if (o.untilSeq < Math.max(1, o.fromSeq) || o.signal?.aborted) return;
  const ready: RawRecord[][] = [];
  let chunk: RawRecord[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const finish = (e?: unknown) => {
    if (done) return;
    done = true;
    failure = e;
    if (chunk.length > 0) ready.push(chunk);
    chunk = [];
    poke();
  };
  const messages: ConsumerMessages = await retry(
    async () => {
      const consumer = await js.consumers.get(EVENTS_STREAM, {
        filter_subjects: o.filter ?? subjects.allEvents,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, o.fromSeq),
      });
      return consumer.consume({
        max_messages: PULL,
        callback: (m) => {
          if (done) return;
          const r = consumedRecord(m);
          if (r.seq > o.untilSeq) return finish();
          chunk.push(r);
          if (r.seq >= o.untilSeq || (o.stopWhenCaughtUp && r.pending === 0)) return finish();
          if (chunk.length >= CHUNK) {
            ready.push(chunk);
            chunk = [];
          }
          // A waiting reader resumes after this socket read is parsed, with all it brought.
          poke();
        },
      });
    },
    { attempts: 4, baseMs: 250, maxMs: 2_000, retryable: isBusUnavailable },
  );
  void messages.closed().then(
    (e) => finish(e instanceof Error ? e : undefined),
    (e) => finish(e),
  );
  const abort = () => finish();
  o.signal?.addEventListener("abort", abort, { once: true });
  try {
    for (;;) {
      const next = ready.shift();
      if (next) {
        yield next;
        continue;
      }
      if (done) break;
      // A partial chunk is handed over when nothing else has come: a trickle is not held back.
      if (chunk.length > 0) {
        const partial = chunk;
        chunk = [];
        yield partial;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure) throw failure;
  } finally {
    o.signal?.removeEventListener("abort", abort);
    messages.stop();
  }
}
