import type { NatsConnection } from "@nats-io/transport-node";
import type { PartitionTable } from "../../bus/index.ts";

/** The shapes around partition ownership (`ownership.ts`): its options, its listener and its views. */

export interface OwnershipOptions {
  readonly nc: NatsConnection;
  readonly table: PartitionTable;
  /** Stable per data dir: a gateway restarted after a crash re-owns its partitions at once. */
  readonly gatewayId: string;
  /** The gateway's web address, for `cairn status` on the other gateways. */
  readonly url?: string | null;
  /** No other gateway can exist (the embedded server): claim everything at once, never wait. */
  readonly solo?: boolean;
  readonly ttlMs?: number;
  readonly heartbeatMs?: number;
  readonly marginMs?: number;
  readonly report?: (line: string) => void;
  readonly now?: () => number;
}

/** What the owner of the aggregates (the actor system) is told, and asked. */
export interface OwnershipListener {
  /** Partitions claimed after start (the first claims are recovered by the gateway's start-up). */
  gained(partitions: readonly number[]): void;
  /** Partitions given away or taken over: their work here must stop. */
  lost(partitions: readonly number[]): void;
  /** Whether a partition has no work running here (only such partitions are given away). */
  isIdle(partition: number): boolean;
}

/** What routing needs of ownership; one process alone owns everything (`soleOwner`). */
export interface PartitionOwner {
  readonly id: string;
  owns(partition: number): boolean;
  ownerOf(partition: number): string | null;
}

export const soleOwner: PartitionOwner = {
  id: `sole-${crypto.randomUUID().slice(0, 8)}`,
  owns: () => true,
  ownerOf: () => soleOwner.id,
};

export interface GatewaySeen {
  readonly id: string;
  readonly url: string | null;
  readonly owned: readonly number[];
  readonly startedAt: number;
  /** Milliseconds since its last heartbeat arrived (0 for this gateway). */
  readonly lastSeenMs: number;
}

export interface OwnershipView {
  readonly gatewayId: string;
  readonly partitions: number;
  readonly owned: readonly number[];
  /** Whether this gateway may write now (its lease is fresh). */
  readonly writable: boolean;
  readonly gateways: readonly GatewaySeen[];
}
