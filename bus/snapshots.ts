import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { decodeLenient } from "../schemas/index.ts";
import { isWrongLastSequence } from "./nats.errors.ts";
import { raiseReplicas, streamReplicas } from "./replicas.ts";
import { createRacing } from "./streams.ts";
import { retry } from "./retry.ts";
import { SNAPSHOT_BUCKET } from "./subjects.ts";

/**
 * Snapshots of long aggregates in a KV bucket: the state as of a log sequence plus the machine
 * version that produced it. Hydrate = snapshot + events after its sequence. Snapshots are a cache:
 * losing or refusing one only means replaying more events.
 */

export const Snapshot = Schema.Struct({
  seq: Schema.Number,
  machineVersion: Schema.Number,
  state: Schema.Unknown,
});
export type Snapshot = typeof Snapshot.Type;

export class SnapshotStore {
  private constructor(private readonly kv: KV) {}

  /** Opens (creating it if needed) the bucket, with `replicas` copies (default `streamReplicas(nc)`). */
  static async open(nc: NatsConnection, replicas = streamReplicas(nc)): Promise<SnapshotStore> {
    // History 1: only the newest snapshot matters; file storage so restarts hydrate fast.
    const kv = await createRacing(() => new Kvm(nc).create(SNAPSHOT_BUCKET, { history: 1, storage: "file" as never, replicas }));
    // `create` leaves an existing bucket as it is: one made before this server joined a cluster
    // (or while part of it was down) is raised here.
    const jsm = await jetstreamManager(nc);
    await raiseReplicas(jsm, (await jsm.streams.info(`KV_${SNAPSHOT_BUCKET}`)).config, replicas);
    return new SnapshotStore(kv);
  }

  /** The snapshot of an aggregate, or null when none exists or it cannot be decoded. */
  async get(kind: string, id: string): Promise<Snapshot | null> {
    const e = await this.kv.get(`${kind}.${id}`);
    if (e?.operation !== "PUT" || e.value.length === 0) return null;
    try {
      return decodeLenient(Snapshot, e.json(), "snapshot");
    } catch {
      return null;
    }
  }

  /**
   * Stores a snapshot compare-and-set, and only if it is newer than the stored one: two writers
   * racing can never move a snapshot backwards. A lost race is re-read and tried again, at once,
   * three times in all; then the snapshot is skipped (false), which only means more replay later.
   */
  async put(kind: string, id: string, snap: Snapshot): Promise<boolean> {
    const key = `${kind}.${id}`;
    const value = JSON.stringify(snap);
    const attempt = async (): Promise<boolean> => {
      const current = await this.kv.get(key);
      if (current?.operation !== "PUT") {
        await this.kv.create(key, value);
        return true;
      }
      const stored = decodeLenient(Snapshot, current.json(), "snapshot");
      if (stored.seq >= snap.seq) return false;
      await this.kv.update(key, value, current.revision);
      return true;
    };
    try {
      return await retry(attempt, { attempts: 3, baseMs: 0, retryable: isWrongLastSequence });
    } catch (e) {
      if (isWrongLastSequence(e)) return false;
      throw e;
    }
  }
}
