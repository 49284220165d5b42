import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isStreamNotFound, isTimeout, jsErrorCode } from "./nats.errors.ts";
import { retry } from "./retry.ts";
import { streamReplicas } from "./replicas.ts";
import { EVENTS_STREAM, LIVE_STREAM, subjects } from "./subjects.ts";

const NS_PER_MS = 1_000_000;
const GiB = 1024 ** 3;

export interface StreamLimits {
  /** Bytes the event log may use before appends fail loudly (discard new). */
  eventLogMaxBytes: number;
  /**
   * What the live stream keeps for clients resuming a reply after a reconnect: the newest
   * `liveMaxPerSession` messages of each session, at most `liveMaxBytes` in all. Bounded by
   * count and bytes, not age, so what it holds stays flat however busy the gateway is.
   */
  liveMaxPerSession: number;
  liveMaxBytes: number;
  /**
   * How long the log remembers event ids to drop a retried append (default 2 min). Archiving never
   * removes events younger than this (nats-server refuses a max age below it); tests shorten it.
   */
  duplicateWindowMs?: number;
  /** Copies JetStream keeps of each stream; default `streamReplicas(nc)` (1, or up to 3 on a cluster). */
  replicas?: number;
}

export const defaultStreamLimits: StreamLimits = {
  eventLogMaxBytes: 8 * GiB,
  liveMaxPerSession: 4096,
  liveMaxBytes: 32 * 1024 * 1024,
};

/** The event log: append-only (deny delete and purge), and a full log refuses writes, never drops. */
/** A stream's wanted configuration: every field cairn sets, and always its name. */
export type StreamSpec = Partial<StreamConfig> & { name: string };

export const eventLogConfig = (limits: StreamLimits): StreamSpec => ({
  name: EVENTS_STREAM,
  subjects: [subjects.allEvents],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.New,
  max_bytes: limits.eventLogMaxBytes,
  max_msgs: -1,
  max_age: 0,
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false,
  duplicate_window: (limits.duplicateWindowMs ?? 2 * 60_000) * NS_PER_MS,
  num_replicas: limits.replicas ?? 1,
});

/**
 * Live notifications (token deltas, tool progress). Subscribers get them as core NATS messages;
 * this stream only keeps a bounded tail for resuming: a client that reconnects mid-reply, and the
 * partial text of a run whose gateway died. File storage, not memory: after a `kill -9` of the
 * gateway its embedded nats-server is replaced, and a memory tail would lose the reply the user
 * already saw (measured: ~5 µs more of nats-server CPU per message than memory; see bench/).
 */
export const liveStreamConfig = (limits: StreamLimits): StreamSpec => ({
  name: LIVE_STREAM,
  subjects: [subjects.allLive],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: 0,
  max_msgs_per_subject: limits.liveMaxPerSession,
  max_bytes: limits.liveMaxBytes,
  num_replicas: limits.replicas ?? 1,
});

/** "stream name already in use": another gateway created it between our look and our create. */
const STREAM_NAME_IN_USE = 10058;
/** "error creating store for stream" (and other create failures): seen on a cluster still forming. */
const STREAM_CREATE_FAILED = 10049;

/**
 * Gateways starting together on a fresh cluster race to create the streams and KV buckets: the
 * loser's create is refused as a duplicate, or its request times out while the winner's stream
 * elects its leader. Either way the stream is (about to be) there: look again.
 */
export const createRacing = <T>(create: () => Promise<T>): Promise<T> =>
  retry(create, {
    attempts: 5,
    baseMs: 200,
    retryable: (e) => isTimeout(e) || jsErrorCode(e) === STREAM_NAME_IN_USE || jsErrorCode(e) === STREAM_CREATE_FAILED,
  });

const ensureStream = (jsm: JetStreamManager, cfg: StreamSpec): Promise<void> => createRacing(() => ensureStreamOnce(jsm, cfg));

async function ensureStreamOnce(jsm: JetStreamManager, cfg: StreamSpec): Promise<void> {
  try {
    const info = await jsm.streams.info(cfg.name);
    // Keep limits in step with configuration; subjects and storage type never change in place.
    // Replicas only ever go up (see `raiseReplicas`): a low count may just mean a server is down.
    const replicas = Math.max(info.config.num_replicas ?? 1, cfg.num_replicas ?? 1);
    const wanted = { ...info.config, ...cfg, num_replicas: replicas } as StreamConfig;
    if (JSON.stringify(wanted) !== JSON.stringify(info.config)) await jsm.streams.update(cfg.name, wanted);
  } catch (e) {
    if (!isStreamNotFound(e)) throw e;
    await jsm.streams.add(cfg as StreamConfig);
  }
}

/**
 * Creates (or updates the limits of) the event log and the live stream. Idempotent. On a cluster
 * both get `streamReplicas(nc)` copies; an existing stream with fewer is raised to that count.
 */
export async function ensureStreams(nc: NatsConnection, limits: StreamLimits = defaultStreamLimits): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const withReplicas = { ...limits, replicas: limits.replicas ?? streamReplicas(nc) };
  await ensureStream(jsm, eventLogConfig(withReplicas));
  await ensureStream(jsm, liveStreamConfig(withReplicas));
}
