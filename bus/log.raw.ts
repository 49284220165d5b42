import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { RawEvent } from "./event-chain.ts";
import { logBatches } from "./log.batches.ts";
import { EVENTS_STREAM, subjects } from "./subjects.ts";

/** The log's extent: first and last stored sequence (first > last when it is empty). */
export async function logExtent(nc: NatsConnection): Promise<{ firstSeq: number; lastSeq: number; bytes: number; messages: number }> {
  const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM);
  return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, bytes: info.state.bytes, messages: info.state.messages };
}

/**
 * The log's messages as stored, undecoded (headers and payload bytes), from `fromSeq` through
 * `untilSeq`, in the consumer's chunks: what integrity checks and archives need, at the consumer's
 * full speed (no schema decoding, no copies of the payload, no promise per message).
 */
export const readRawBatches = (
  nc: NatsConnection,
  opts: { fromSeq: number; untilSeq: number; filter?: string },
): AsyncGenerator<RawEvent[]> => logBatches(jetstream(nc), { ...opts, filter: opts.filter ?? subjects.allEvents, stopWhenCaughtUp: true });

/** `readRawBatches` one message at a time. */
export async function* readRawLog(
  nc: NatsConnection,
  opts: { fromSeq: number; untilSeq: number; filter?: string },
): AsyncGenerator<RawEvent> {
  for await (const batch of readRawBatches(nc, opts)) yield* batch;
}
