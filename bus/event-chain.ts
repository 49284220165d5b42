import { createHash } from "node:crypto";

/**
 * The log's integrity chain. Each event carries, in its `Cairn-Chain` header, the SHA-256 of the
 * previous event of the same subject's chain value and of this event's content: its subject, id,
 * type, schema version, time, provenance headers and payload bytes, exactly as stored. Altering,
 * removing or reordering a stored event breaks the chain at that point (`cairn log verify`).
 *
 * What it does not prove: the chain has no secret, so whoever can append can also append a
 * well-chained event at an aggregate's tail, and rewriting the newest event of an aggregate is
 * only caught against a head digest recorded earlier (`verify` prints one). JetStream's own
 * deny-delete/deny-purge and credentials guard the append path; the chain guards history.
 */

export const CHAIN_HEADER = "Cairn-Chain";

/** Headers hashed into the chain, in this order. A new provenance header goes at the end. */
export const CHAINED_HEADERS = [
  "Nats-Msg-Id",
  "Cairn-Type",
  "Cairn-Version",
  "Cairn-Time",
  "Cairn-Correlation",
  "Cairn-Causation",
  "Cairn-Actor",
  "traceparent",
] as const;

/** One stored log message, raw: what the chain is computed over (from NATS or from an archive). */
export interface RawEvent {
  readonly seq: number;
  readonly subject: string;
  /** A header's value, "" when absent. */
  header(name: string): string;
  readonly data: Uint8Array;
  /** When the server stored it (epoch ms). */
  readonly storedAt: number;
}

/**
 * The chain value of one event: `prev` is the previous event of the subject's `Cairn-Chain` value
 * ("" for the first event, or after events written before the chain existed). The fields are one
 * JSON array (unambiguous: a value cannot fake a separator), then the payload bytes as stored.
 */
export function chainHash(prev: string, subject: string, header: (name: string) => string, data: Uint8Array | string): string {
  const fields = JSON.stringify([subject, ...CHAINED_HEADERS.map((n) => header(n))]);
  return createHash("sha256").update(prev).update("\n").update(fields).update("\n").update(data).digest("hex");
}

/**
 * The chain heads the writer knows (subject → sequence and chain value of its last event), from
 * the events it loaded or appended, so an append costs no extra read. Bounded: a forgotten head is
 * read back (one request) by sequence, which the writer names anyway.
 */
export class ChainHeads {
  private readonly heads = new Map<string, { seq: number; chain: string }>();
  constructor(private readonly max = 20_000) {}

  /** The chain value at `seq` on `subject`, when that is the head this writer knows. */
  get(subject: string, seq: number): string | undefined {
    const h = this.heads.get(subject);
    return h && h.seq === seq ? h.chain : undefined;
  }

  set(subject: string, seq: number, chain: string): void {
    this.heads.delete(subject);
    this.heads.set(subject, { seq, chain });
    if (this.heads.size > this.max) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }
}
