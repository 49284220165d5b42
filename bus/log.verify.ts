import { createHash } from "node:crypto";
import { CHAIN_HEADER, chainHash, type RawEvent } from "./event-chain.ts";

/** One place where the log does not hold together, with the sequence to look at. */
export interface ChainBreak {
  readonly seq: number;
  readonly subject: string;
  readonly reason: "altered" | "missing_chain" | "missing_events";
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Events checked against their chain. */
  readonly chained: number;
  /** Events from before the chain existed (no header, and none chained before them on their subject). */
  readonly unchained: number;
  /** First events of subjects whose earlier events were not given (an archived prefix): taken as anchors. */
  readonly anchored: number;
  readonly subjects: number;
  readonly breaks: readonly ChainBreak[];
  /** Breaks beyond those listed. */
  readonly moreBreaks: number;
  /** SHA-256 over every subject's head: record it, and a later verify proves the tails were not rewritten. */
  readonly digest: string;
}

const MAX_LISTED = 1000;

/**
 * Walks stored events in sequence order and checks each against its subject's chain. A break is
 * reported at the first event that does not hold: an altered event fails its own check; one whose
 * predecessor was replaced or removed fails to chain on it; a header stripped after the chain began
 * is missing; a hole in the stream's sequences is events deleted. One alteration is one break: the
 * next event is checked against the stored chain value before it, not a recomputed one.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, string>();
  private readonly breaks: ChainBreak[] = [];
  private more = 0;
  private events = 0;
  private chained = 0;
  private unchained = 0;
  private anchored = 0;
  private firstSeq = 0;
  private lastSeq = 0;

  /** `startsAt`: the first sequence the walk is expected to see (1 for a whole log). */
  constructor(private readonly startsAt = 1) {}

  add(r: RawEvent): void {
    this.events++;
    if (this.firstSeq === 0) {
      this.firstSeq = r.seq;
      if (r.seq > this.startsAt) this.missing(r, this.startsAt);
    } else if (r.seq !== this.lastSeq + 1) {
      this.missing(r, this.lastSeq + 1);
    }
    this.lastSeq = r.seq;
    const stored = r.header(CHAIN_HEADER);
    const prev = this.heads.get(r.subject);
    if (stored === "") {
      if (prev) this.broken(r, "missing_chain", "has no chain header, though earlier events of its subject do");
      else this.unchained++;
      this.heads.set(r.subject, "");
      return;
    }
    if (prev === undefined && this.startsAt > 1) {
      // Its predecessors are in an archive that was not given: this event anchors its subject.
      this.anchored++;
    } else {
      this.chained++;
      if (chainHash(prev ?? "", r.subject, r.header, r.data) !== stored) {
        this.broken(r, "altered", "does not match its chain value: it was altered, or an event before it on its subject was");
      }
    }
    this.heads.set(r.subject, stored);
  }

  report(): VerifyReport {
    const digest = createHash("sha256");
    for (const s of [...this.heads.keys()].sort()) digest.update(`${s}\t${this.heads.get(s)}\n`);
    return {
      ok: this.breaks.length === 0,
      events: this.events,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      chained: this.chained,
      unchained: this.unchained,
      anchored: this.anchored,
      subjects: this.heads.size,
      breaks: this.breaks,
      moreBreaks: this.more,
      digest: digest.digest("hex"),
    };
  }

  private broken(r: RawEvent, reason: ChainBreak["reason"], message: string, seq = r.seq): void {
    if (this.breaks.length >= MAX_LISTED) this.more++;
    else this.breaks.push({ seq, subject: r.subject, reason, message });
  }

  /** A hole in the sequences, reported at its first missing sequence (the subject is the event after it). */
  private missing(r: RawEvent, from: number): void {
    const range = from === r.seq - 1 ? `event ${from} is` : `events ${from}..${r.seq - 1} are`;
    this.broken(r, "missing_events", `${range} missing from the log (deleted, or dropped by the server as corrupt)`, from);
  }
}

/** Verifies a walk of the log (any source: the live stream, archives, both in order), in chunks. */
export async function verifyEvents(
  chunks: AsyncIterable<readonly RawEvent[]>,
  o: { startsAt?: number; onProgress?: (seq: number) => void } = {},
): Promise<VerifyReport> {
  const v = new ChainVerifier(o.startsAt ?? 1);
  for await (const chunk of chunks) {
    for (const r of chunk) v.add(r);
    if (chunk.length > 0) o.onProgress?.(chunk[chunk.length - 1].seq);
  }
  return v.report();
}
