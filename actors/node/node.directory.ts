import { subjects, type EventLog } from "../../bus/index.ts";

/**
 * Which node aggregates exist, and which one a pairing request id belongs to: questions no single
 * node aggregate can answer (`approve {requestId}` names no node), so the node service keeps this
 * index. It is folded from the node aggregates' own events (`evt.node.*`), from the log and
 * nothing else: no event or schema of its own, rebuilt at every start, and never behind the
 * writes of this process (a lookup that misses reads the log's new node events first).
 *
 * Why not an aggregate with its own events: they would be a second append beside the node's, and
 * a crash between the two would leave the index wrong for good. Folding the node events cannot
 * disagree with them. The index only routes a command to an aggregate; the aggregate still
 * decides (a request id that is not its current one is refused there), so a stale route can at
 * worst answer "not found", never cause a wrong write.
 */
export class NodeDirectory {
  /** Each node's latest request id (an older one is no longer pending anywhere). */
  private readonly latest = new Map<string, string>();
  private readonly byRequest = new Map<string, string>();
  private seq = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly log: EventLog) {}

  /** Folds the node events appended since the last call, by this process or any other. */
  catchUp(): Promise<void> {
    // One read at a time; a caller that arrives during a read waits for it, then reads the rest.
    const run = (this.running ?? Promise.resolve()).then(() => this.readNew());
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Every node id the log knows (any status). */
  nodeIds(): string[] {
    return [...this.latest.keys()];
  }

  /** The node whose latest pairing request is `requestId`, reading new events once on a miss. */
  async nodeOfRequest(requestId: string): Promise<string | undefined> {
    const found = this.byRequest.get(requestId);
    if (found) return found;
    await this.catchUp();
    return this.byRequest.get(requestId);
  }

  private async readNew(): Promise<void> {
    const filter = subjects.eventsOfKind("node");
    const until = await this.log.lastSeq(filter);
    if (until <= this.seq) return;
    for await (const r of this.log.read({ fromSeq: this.seq + 1, filter, untilSeq: until })) {
      // An undecodable event is the node aggregate's to refuse when it hydrates; skip it here.
      if (!r.ok) {
        this.seq = r.bad.seq;
        continue;
      }
      const e = r.event;
      this.seq = e.seq;
      if (!this.latest.has(e.aggregateId)) this.latest.set(e.aggregateId, "");
      if (e.type !== "node.pairing_requested") continue;
      const previous = this.latest.get(e.aggregateId);
      if (previous) this.byRequest.delete(previous);
      this.latest.set(e.aggregateId, e.data.requestId);
      this.byRequest.set(e.data.requestId, e.aggregateId);
    }
  }
}
