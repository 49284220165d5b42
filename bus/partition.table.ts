import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { decodeLenient } from "../schemas/index.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { isWrongLastSequence } from "./nats.errors.ts";
import { raiseReplicas, streamReplicas } from "./replicas.ts";
import { createRacing } from "./streams.ts";
import { PARTITION_BUCKET } from "./subjects.ts";

/**
 * Who owns each partition of the aggregates, in a KV bucket written only compare-and-set: the
 * authority when two gateways both want a partition. A claim names the revision it saw, so of two
 * racing claims exactly one lands. Who is *alive* is not stored here (heartbeats on core NATS
 * say that); an entry of a dead gateway stays until someone claims over it.
 */

const Entry = Schema.Struct({ owner: Schema.NullOr(Schema.String), at: Schema.Number });
export type PartitionEntry = typeof Entry.Type & { readonly revision: number };

export class PartitionTable {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, replicas = streamReplicas(nc)): Promise<PartitionTable> {
    // File storage: a claim must outlive a nats-server restart, or two gateways could both hold one.
    const kv = await createRacing(() => new Kvm(nc).create(PARTITION_BUCKET, { history: 1, storage: "file" as never, replicas }));
    const jsm = await jetstreamManager(nc);
    await raiseReplicas(jsm, (await jsm.streams.info(`KV_${PARTITION_BUCKET}`)).config, replicas);
    return new PartitionTable(kv);
  }

  /** The partition's entry; null when nobody ever claimed it (or the entry was purged). */
  async get(partition: number): Promise<PartitionEntry | null> {
    const e = await this.kv.get(key(partition));
    if (e?.operation !== "PUT" || e.value.length === 0) return null;
    try {
      return { ...decodeLenient(Entry, e.json(), "partition entry"), revision: e.revision };
    } catch {
      // An entry nobody can read counts as free; claiming over it replaces it.
      return { owner: null, at: 0, revision: e.revision };
    }
  }

  /**
   * Writes `owner` over the entry at `revision` (0: there is none). Resolves with the new revision,
   * or null when the entry changed since it was read: somebody else claimed or released it first.
   */
  async put(partition: number, owner: string | null, revision: number, now: number): Promise<number | null> {
    const value = JSON.stringify({ owner, at: now });
    try {
      return revision === 0 ? await this.kv.create(key(partition), value) : await this.kv.update(key(partition), value, revision);
    } catch (e) {
      // `create` over an existing key rejects with the same wrong-last-sequence refusal.
      if (isWrongLastSequence(e)) return null;
      throw e;
    }
  }
}

const key = (partition: number) => `p${partition}`;
