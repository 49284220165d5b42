import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LiveSessionMessage, decodeLenient, type LiveSessionsChanged, type LiveSettingsChanged } from "../schemas/index.ts";
import { encodeJson } from "./rpc.ts";
import { LIVE_STREAM, subjects } from "./subjects.ts";

/**
 * Live notifications: fire-and-forget core NATS publishes. Subscribers (the edge, `cairn chat`)
 * get them straight from the server; the live stream also keeps a bounded tail, read only to
 * resume (`readStoredLive`). A lost delta costs nothing: the final text is in the log.
 */
export const publishLive = (nc: NatsConnection, sessionKey: string, msg: LiveSessionMessage): void => {
  nc.publish(subjects.liveSession(sessionKey), encodeJson(msg));
};

export const publishSessionsChanged = (nc: NatsConnection, msg: LiveSessionsChanged | LiveSettingsChanged): void => {
  nc.publish(subjects.liveSessions, encodeJson(msg));
};

/** The read models applied the log up to `checkpoint` (`live.events`): the events explorer's tick. */
export const publishEventsAppended = (nc: NatsConnection, checkpoint: number): void => {
  nc.publish(subjects.liveEvents, encodeJson({ type: "events.appended", checkpoint }));
};

/** Where a read of the stored tail starts: after a stream sequence, or at a time. */
export type LiveFrom = { afterSeq: number } | { sinceMs: number };

const liveStreamState = async (nc: NatsConnection) => (await (await jetstreamManager(nc)).streams.info(LIVE_STREAM)).state;

/** The live stream's last sequence (0 when empty): the cursor a subscriber starts after. */
export const liveStreamEnd = async (nc: NatsConnection): Promise<number> => (await liveStreamState(nc)).last_seq;

/**
 * The payloads (JSON text, as published) of the stored live messages of `subject` from `from` up
 * to the stream's end as of now, in order. A short-lived consumer: resumes and crash recovery
 * only, never the token path.
 */
export async function readStoredLive(nc: NatsConnection, subject: string, from: LiveFrom): Promise<string[]> {
  const state = await liveStreamState(nc);
  const last = state.last_seq;
  if (last === 0 || ("afterSeq" in from && from.afterSeq === last)) return [];
  // A cursor beyond the end predates a stream that was lost and made again (a deleted store, a
  // rebuilt server), its sequence started over: everything held now is new to that reader.
  const consumer = await jetstream(nc).consumers.get(LIVE_STREAM, {
    filter_subjects: subject,
    ...("afterSeq" in from
      ? {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from.afterSeq > last ? state.first_seq : Math.max(from.afterSeq + 1, state.first_seq),
        }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Math.max(0, from.sinceMs)).toISOString() }),
  });
  const out: string[] = [];
  // Exactly the messages stored when the consumer was made: a fetch asking for more than there
  // are waits out its expiry (that cost every crash-adopted run and every resumed stream a second
  // or two). The expiry only bounds a message that expired in between.
  let left = (await consumer.info(true)).num_pending;
  while (left > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(left, 1000), expires: 1000 });
    let got = 0;
    let done = false;
    for await (const m of batch) {
      got++;
      left--;
      if (m.seq <= last) out.push(m.string());
      if (m.seq >= last || m.info.pending === 0) done = true;
    }
    if (done || got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

/** The text one run streamed, rebuilt from the stored tail (deltas since `sinceMs`). */
export async function streamedText(nc: NatsConnection, sessionKey: string, runId: string, sinceMs: number): Promise<string> {
  return (await streamedDeltas(nc, sessionKey, runId, sinceMs)).text;
}

/**
 * `streamedText`, and the index the run's next delta gets (so a resumed run goes on numbering).
 * Used to keep the partial reply of a run that a crash interrupted.
 */
export async function streamedDeltas(
  nc: NatsConnection,
  sessionKey: string,
  runId: string,
  sinceMs: number,
): Promise<{ text: string; next: number }> {
  const parts = new Map<number, string>();
  for (const m of await readStoredLive(nc, subjects.liveSession(sessionKey), { sinceMs: sinceMs - 1000 })) {
    try {
      const msg = decodeLenient(LiveSessionMessage, JSON.parse(m), "live message");
      if (msg.type === "run.delta" && msg.runId === runId) parts.set(msg.index, msg.text);
    } catch {
      // a malformed live message is skipped: the log, not this stream, is the truth
    }
  }
  const sorted = [...parts.entries()].sort((a, b) => a[0] - b[0]);
  return { text: sorted.map(([, t]) => t).join(""), next: sorted.length > 0 ? sorted[sorted.length - 1][0] + 1 : 0 };
}
