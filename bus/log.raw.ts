import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { RawEvent } from "./event-chain.ts";
import { retry } from "./retry.ts";
import { isBusUnavailable } from "./nats.errors.ts";
import { EVENTS_STREAM, subjects } from "./subjects.ts";

/** The log's extent: first and last stored sequence (first > last when it is empty). */
export async function logExtent(nc: NatsConnection): Promise<{ firstSeq: number; lastSeq: number; bytes: number; messages: number }> {
  const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM);
  return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, bytes: info.state.bytes, messages: info.state.messages };
}

/**
 * The log's messages as stored, undecoded (headers and payload bytes), from `fromSeq` through
 * `untilSeq`: what integrity checks and archives need, at the consumer's full speed (no schema
 * decoding, no copies of the payload).
 */
export async function* readRawLog(
  nc: NatsConnection,
  opts: { fromSeq: number; untilSeq: number; filter?: string },
): AsyncGenerator<RawEvent> {
  if (opts.untilSeq < opts.fromSeq) return;
  const js = jetstream(nc);
  const messages: ConsumerMessages = await retry(
    async () => {
      const consumer = await js.consumers.get(EVENTS_STREAM, {
        filter_subjects: opts.filter ?? subjects.allEvents,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, opts.fromSeq),
      });
      return consumer.consume({ max_messages: 4096 });
    },
    { attempts: 4, baseMs: 250, maxMs: 2_000, retryable: isBusUnavailable },
  );
  try {
    for await (const m of messages) {
      if (m.seq > opts.untilSeq) break;
      const h = m.headers;
      yield {
        seq: m.seq,
        subject: m.subject,
        header: (n) => h?.get(n) ?? "",
        data: m.data,
        storedAt: Number(BigInt(m.info.timestampNanos) / 1_000_000n),
      };
      // Nothing pending: everything stored when it was delivered has come (a filter's last match
      // may lie before untilSeq).
      if (m.seq >= opts.untilSeq || m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
}
