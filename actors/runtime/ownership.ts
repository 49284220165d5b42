import type { Subscription } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { CairnError, decodeLenient } from "../../schemas/index.ts";
import { encodeJson, parseJson, subjects } from "../../bus/index.ts";
import { PARTITIONS } from "./partitions.ts";
import type { GatewaySeen, OwnershipListener, OwnershipOptions, OwnershipView, PartitionOwner } from "./ownership.types.ts";

export {
  soleOwner,
  type GatewaySeen,
  type OwnershipListener,
  type OwnershipOptions,
  type OwnershipView,
  type PartitionOwner,
} from "./ownership.types.ts";

/**
 * Which partitions of the aggregates this gateway owns: the one-writer rule across processes.
 *
 * - **Claims** are compare-and-set writes to the partition table (KV): of two gateways claiming one
 *   partition, exactly one wins.
 * - **Liveness** is a heartbeat on core NATS every `heartbeatMs`, listing what the sender owns. A
 *   gateway not heard from for `ttlMs` is dead; its partitions may then be claimed over.
 * - **Fencing**: this gateway writes to a partition only while its last *confirmed* heartbeat (one
 *   the server acknowledged) is younger than `ttlMs - marginMs`. Others wait `ttlMs` after the last
 *   heartbeat they *received* (which was sent later than it was begun), so the old owner has stopped
 *   writing before anyone else may start. A gateway that was silent longer than that (paused,
 *   cut off) re-proves every claim with a compare-and-set before it writes again; a claim somebody
 *   took over in the meantime is lost. Appends carry the expected sequence as a second fence.
 * - **Balance**: each gateway aims at its share (partitions / live gateways); one over its share
 *   releases partitions with no work running, one at a time, for one under it to claim.
 */

const Heartbeat = Schema.Struct({
  id: Schema.String,
  url: Schema.NullOr(Schema.String),
  startedAt: Schema.Number,
  owned: Schema.Array(Schema.Number),
  /** The sender is stopping and has released everything: forget it now, not after a lease. */
  leaving: Schema.optionalKey(Schema.Boolean),
});
type Heartbeat = typeof Heartbeat.Type;

export class Ownership implements PartitionOwner {
  readonly id: string;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly report: (line: string) => void;
  /** Claimed partitions and the table revision of each claim. */
  private readonly owned = new Map<number, number>();
  private readonly seen = new Map<string, { hb: Heartbeat; at: number }>();
  private readonly startedAt: number;
  private readonly startedEpoch: number;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private reproving = false;
  private sub: Subscription | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private listener: OwnershipListener | undefined;
  private url: string | null;

  constructor(private readonly o: OwnershipOptions) {
    this.id = o.gatewayId;
    this.ttlMs = o.ttlMs ?? 1_500;
    this.heartbeatMs = o.heartbeatMs ?? 250;
    this.marginMs = o.marginMs ?? 250;
    this.now = o.now ?? (() => performance.now());
    this.report = o.report ?? (() => {});
    this.startedAt = this.now();
    this.startedEpoch = Date.now();
    this.url = o.url ?? null;
  }

  /** Starts heartbeats and makes the first claims (all partitions when solo). */
  async start(): Promise<void> {
    this.sub = this.o.nc.subscribe(subjects.gatewayHeartbeat, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const hb = decodeLenient(Heartbeat, parseJson(msg.data, "heartbeat"), "heartbeat");
          if (hb.id === this.id) return;
          if (hb.leaving) this.seen.delete(hb.id);
          else this.seen.set(hb.id, { hb, at: this.now() });
        } catch {
          // Not a heartbeat of ours: ignored.
        }
      },
    });
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref?.();
  }

  /** The gateway's web address, told to the others in heartbeats (known once its edge listens). */
  advertise(url: string): void {
    this.url = url;
  }

  listen(listener: OwnershipListener): void {
    this.listener = listener;
  }

  /** Whether this gateway holds the partition's claim (it may still have to wait to write). */
  owns(partition: number): boolean {
    return this.owned.has(partition);
  }

  /** Whether this gateway may append to the partition's aggregates right now. */
  isWritable(partition: number): boolean {
    return this.owned.has(partition) && !this.reproving && this.now() < this.confirmedAt + this.ttlMs - this.marginMs;
  }

  /**
   * Resolves once this gateway may write to the partition; rejects with `not_owner` when it does
   * not (or no longer) own it, and `unavailable` when its lease stays stale (NATS unreachable).
   */
  async writable(partition: number, timeoutMs = 30_000): Promise<void> {
    const deadline = this.now() + timeoutMs;
    for (;;) {
      if (!this.owned.has(partition)) {
        throw new CairnError("not_owner", `this gateway (${this.id}) does not own partition ${partition}; the command was not applied`);
      }
      if (this.isWritable(partition)) return;
      if (this.now() > deadline) {
        throw new CairnError("unavailable", `this gateway could not renew its ownership of partition ${partition}: NATS does not answer`);
      }
      await new Promise<void>((r) => {
        this.waiters.add(r);
        setTimeout(r, this.heartbeatMs).unref?.();
      });
    }
  }

  /** The gateway that owns the partition, as far as heartbeats tell; null when none is known. */
  ownerOf(partition: number): string | null {
    if (this.owned.has(partition)) return this.id;
    let best: { id: string; at: number } | null = null;
    for (const [id, s] of this.seen) {
      if (this.alive(s.at) && s.hb.owned.includes(partition) && (!best || s.at > best.at)) best = { id, at: s.at };
    }
    return best?.id ?? null;
  }

  view(): OwnershipView {
    const now = this.now();
    const self: GatewaySeen = { id: this.id, url: this.url, owned: this.ownedList(), startedAt: this.startedEpoch, lastSeenMs: 0 };
    const others = [...this.seen.values()]
      .filter((s) => this.alive(s.at))
      .map((s) => ({ id: s.hb.id, url: s.hb.url, owned: s.hb.owned, startedAt: s.hb.startedAt, lastSeenMs: Math.round(now - s.at) }));
    return {
      gatewayId: this.id,
      partitions: PARTITIONS,
      owned: this.ownedList(),
      writable: this.owned.size > 0 && [...this.owned.keys()].every((p) => this.isWritable(p)),
      gateways: [self, ...others].sort((a, b) => a.id.localeCompare(b.id)),
    };
  }

  /** Stops heartbeats and releases every partition (others take them over at once, no lease wait). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    const mine = [...this.owned];
    this.lose(mine.map(([p]) => p));
    await Promise.allSettled(mine.map(([p, rev]) => this.o.table.put(p, null, rev, Date.now())));
    this.announce({ leaving: true });
    await this.o.nc.flush().catch(() => {});
    this.sub?.unsubscribe();
  }

  private ownedList(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  private alive(at: number): boolean {
    return this.now() - at < this.ttlMs;
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.heartbeat();
      if (!this.reproving && this.isFresh()) await this.balance();
    } catch (e) {
      this.report(`ownership: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
      for (const w of this.waiters) w();
      this.waiters.clear();
    }
  }

  private isFresh(): boolean {
    return this.now() < this.confirmedAt + this.ttlMs - this.marginMs;
  }

  /** Tells the other gateways what this one owns (also at once after a change, not only on the beat). */
  private announce(extra: { leaving?: boolean } = {}): void {
    const hb: Heartbeat = { id: this.id, url: this.url, startedAt: this.startedEpoch, owned: this.ownedList(), ...extra };
    this.o.nc.publish(subjects.gatewayHeartbeat, encodeJson(hb));
  }

  /** Publishes a heartbeat and waits for the server to confirm it; re-proves claims after a lapse. */
  private async heartbeat(): Promise<void> {
    const begun = this.now();
    this.announce();
    await this.o.nc.flush();
    const lapsed = begun - this.confirmedAt > this.ttlMs - this.marginMs;
    if (lapsed && this.owned.size > 0 && this.confirmedAt !== Number.NEGATIVE_INFINITY) {
      // Silent long enough for others to think this gateway dead: each claim must be proven again.
      this.reproving = true;
      try {
        const lost: number[] = [];
        // All at once: on a cluster electing the table's leader each call may wait seconds.
        const mine = [...this.owned];
        const proven = await Promise.all(mine.map(([p, rev]) => this.o.table.put(p, this.id, rev, Date.now())));
        mine.forEach(([p], i) => {
          const next = proven[i];
          if (next === null) lost.push(p);
          else this.owned.set(p, next);
        });
        if (lost.length > 0) {
          this.report(`ownership: lost partitions ${lost.join(", ")} while out of touch; their work stops here`);
          this.lose(lost);
        }
      } finally {
        this.reproving = false;
      }
    }
    this.confirmedAt = begun;
  }

  /** Claims partitions up to this gateway's share; gives one idle partition away when over it. */
  private async balance(): Promise<void> {
    const alive = [...this.seen.values()].filter((s) => this.alive(s.at));
    const share = Math.ceil(PARTITIONS / (alive.length + 1));
    if (this.owned.size < share || this.o.solo) {
      const ownedElsewhere = new Set(alive.flatMap((s) => s.hb.owned));
      const wanted = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => !this.owned.has(p) && !ownedElsewhere.has(p));
      const budget = share - this.owned.size;
      const gained: number[] = [];
      if (this.o.solo) {
        // Alone: every claim at once (16 sequential round trips would show in the start-up time).
        const won = await Promise.all(wanted.map((p) => this.claim(p)));
        gained.push(...wanted.filter((_, i) => won[i]));
      } else {
        for (const p of wanted) {
          if (gained.length >= budget) break;
          if (await this.claim(p)) gained.push(p);
        }
      }
      if (gained.length > 0) {
        this.announce();
        this.listener?.gained(gained);
      }
      return;
    }
    const floor = Math.floor(PARTITIONS / (alive.length + 1));
    // Over the floor while another is under it (16 over 3 gateways is 6/5/5: one at 6 gives to one at 4).
    if (this.owned.size > floor && alive.some((s) => s.hb.owned.length < floor)) {
      const idle = this.ownedList().find((p) => this.listener?.isIdle(p) ?? true);
      if (idle === undefined) return;
      const rev = this.owned.get(idle) ?? 0;
      this.lose([idle]);
      await this.o.table.put(idle, null, rev, Date.now());
      this.announce();
    }
  }

  /** One compare-and-set claim; a partition of a gateway still (or possibly) alive is left alone. */
  private async claim(p: number): Promise<boolean> {
    const entry = await this.o.table.get(p);
    if (entry?.owner && entry.owner !== this.id) {
      const s = this.seen.get(entry.owner);
      // Heard recently, or this gateway has not listened a whole lease yet: it may be alive.
      // (Solo, no other gateway can exist: an owner not heard from is a leftover.)
      if ((s && this.alive(s.at)) || (!this.o.solo && this.now() - this.startedAt < this.ttlMs)) return false;
    }
    const rev = await this.o.table.put(p, this.id, entry?.revision ?? 0, Date.now());
    if (rev === null) return false;
    this.owned.set(p, rev);
    return true;
  }

  private lose(partitions: readonly number[]): void {
    for (const p of partitions) this.owned.delete(p);
    if (partitions.length > 0) this.listener?.lost(partitions);
  }
}
