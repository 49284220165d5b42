import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LiveSessionMessage, decodeLenient, type LiveSessionsChanged } from "../schemas/index.ts";
import { encodeJson } from "./rpc.ts";
import { LIVE_STREAM, subjects } from "./subjects.ts";

/**
 * Live notifications: fire-and-forget publishes captured by the aged-out live stream. A plain
 * publish (no ack round trip) keeps token latency low; a lost delta costs nothing because the final
 * text is always in the log.
 */
export const publishLive = (nc: NatsConnection, sessionKey: string, msg: LiveSessionMessage): void => {
  nc.publish(subjects.liveSession(sessionKey), encodeJson(msg));
};

export const publishSessionsChanged = (nc: NatsConnection, msg: LiveSessionsChanged): void => {
  nc.publish(subjects.liveSessions, encodeJson(msg));
};

/**
 * The text one run streamed, rebuilt from the live stream (deltas since `sinceMs`). Used to keep
 * the partial reply of a run that a crash interrupted. Reads only up to the stream's current end.
 */
export async function streamedText(nc: NatsConnection, sessionKey: string, runId: string, sinceMs: number): Promise<string> {
  return (await streamedDeltas(nc, sessionKey, runId, sinceMs)).text;
}

/** `streamedText`, and the index the run's next delta gets (so a resumed run goes on numbering). */
export async function streamedDeltas(
  nc: NatsConnection,
  sessionKey: string,
  runId: string,
  sinceMs: number,
): Promise<{ text: string; next: number }> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(LIVE_STREAM)).state.last_seq;
  if (last === 0) return { text: "", next: 0 };
  const consumer = await jetstream(nc).consumers.get(LIVE_STREAM, {
    filter_subjects: subjects.liveSession(sessionKey),
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(Math.max(0, sinceMs - 1000)).toISOString(),
  });
  const parts = new Map<number, string>();
  // Nothing matching may exist: fetch with a short expiry instead of waiting forever.
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    let got = 0;
    let done = false;
    for await (const m of batch) {
      got++;
      try {
        const msg = decodeLenient(LiveSessionMessage, m.json(), "live message");
        if (msg.type === "run.delta" && msg.runId === runId) parts.set(msg.index, msg.text);
      } catch {
        // a malformed live message is skipped: the log, not this stream, is the truth
      }
      if (m.seq >= last) done = true;
    }
    if (done || got === 0) break;
  }
  const sorted = [...parts.entries()].sort((a, b) => a[0] - b[0]);
  return { text: sorted.map(([, t]) => t).join(""), next: sorted.length > 0 ? sorted[sorted.length - 1][0] + 1 : 0 };
}
