import { createHash, hash } from "node:crypto";

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

/** One-shot SHA-256 (Node ≥ 20.12); older Nodes build a hash object. */
const sha256hex: (data: Uint8Array | string) => string =
  typeof hash === "function" ? (data) => hash("sha256", data, "hex") : (data) => createHash("sha256").update(data).digest("hex");

/** Reused for every event's hash input: `verify` hashes a million of them (see `chainHash`). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The chain value of one event: `prev` is the previous event of the subject's `Cairn-Chain` value
 * ("" for the first event, or after events written before the chain existed). The fields are one
 * JSON array (unambiguous: a value cannot fake a separator), then the payload bytes as stored.
 * Hashed in one call over one buffer: a hash object and four updates per event were a third of
 * `log verify`.
 */
export function chainHash(prev: string, subject: string, header: (name: string) => string, data: Uint8Array | string): string {
  const head = `${prev}\n${JSON.stringify([subject, ...CHAINED_HEADERS.map((n) => header(n))])}\n`;
  if (typeof data === "string") return sha256hex(head + data);
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  const size = head.length * 3 + data.length;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  const n = scratch.write(head, 0, "utf8");
  scratch.set(data, n);
  return sha256hex(scratch.subarray(0, n + data.length));
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
