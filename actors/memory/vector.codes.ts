/**
 * One vector space held in memory for search, beside its sqlite-vec table (which stays the
 * truth and the exact answer): per vector its sign bits after centring, packed 32 to a word, and
 * an int8 copy of its unit vector. A search scores every code against the query (100,000 × 384
 * bits is 4.8 MB; see nearestCodes for why not a Hamming distance), keeps the best `candidates`,
 * and rescores those by cosine over the int8 copies: recall comes from the rescoring, speed from
 * the scan. The int8 copy (a byte a dimension, a quarter of the floats' memory, its cosine within
 * ~1% of the float one) keeps the rescoring out of SQLite.
 */

export class VectorCodes {
  /** 32-bit words per code. */
  readonly words: number;
  private capacity = 0;
  private ids = new Float64Array(0);
  private bits = new Uint32Array(0);
  private bytes = new Int8Array(0);
  /** Per vector: the int8 copy times this is its unit vector. */
  private scales = new Float32Array(0);
  private readonly slots = new Map<number, number>();

  constructor(
    readonly dims: number,
    /** The space's centre: sign bits of uncentred vectors say little (models' vectors share a direction). */
    readonly center: Float32Array,
  ) {
    this.words = Math.ceil(dims / 32);
  }

  get size(): number {
    return this.slots.size;
  }

  has(id: number): boolean {
    return this.slots.has(id);
  }

  /** Adds or replaces a chunk's vector. */
  put(id: number, v: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.capacity) this.grow();
      this.slots.set(id, slot);
      this.ids[slot] = id;
    }
    this.encodeBits(v, this.bits, slot * this.words);
    let norm = 0;
    let max = 0;
    for (let i = 0; i < this.dims; i++) {
      norm += v[i] * v[i];
      max = Math.max(max, Math.abs(v[i]));
    }
    norm = Math.sqrt(norm) || 1;
    const step = max / norm / 127 || 1;
    const at = slot * this.dims;
    for (let i = 0; i < this.dims; i++) this.bytes[at + i] = Math.round(v[i] / norm / step);
    this.scales[slot] = step;
  }

  /** Forgets a chunk's vector: the last slot moves into its place, so the arrays stay dense. */
  remove(id: number): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    const last = this.slots.size;
    if (slot !== last) {
      const moved = this.ids[last];
      this.ids[slot] = moved;
      this.bits.copyWithin(slot * this.words, last * this.words, (last + 1) * this.words);
      this.bytes.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.scales[slot] = this.scales[last];
      this.slots.set(moved, slot);
    }
  }

  /**
   * Ids nearest the query by cosine distance, nearest first (ties: lower id), at most `limit`:
   * the `candidates` nearest by Hamming distance, rescored over the int8 copies. With
   * `candidates` at least the size, every vector is rescored: the int8 cosine over all of them.
   */
  search(query: Float32Array, limit: number, candidates: number): { id: number; distance: number }[] {
    const n = this.slots.size;
    if (n === 0 || limit <= 0) return [];
    const keep = this.nearestCodes(query, Math.max(limit, candidates));
    let norm = 0;
    for (let i = 0; i < this.dims; i++) norm += query[i] * query[i];
    norm = Math.sqrt(norm) || 1;
    const { dims, bytes, ids, scales } = this;
    const scored = new Array<{ id: number; distance: number }>(keep.length);
    for (let c = 0; c < keep.length; c++) {
      const slot = keep[c];
      const at = slot * dims;
      let dot = 0;
      for (let i = 0; i < dims; i++) dot += query[i] * bytes[at + i];
      scored[c] = { id: ids[slot], distance: 1 - (dot * scales[slot]) / norm };
    }
    return scored.sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, limit);
  }

  /**
   * Slots of the `count` codes that best match the query. Each code is scored against the float
   * query, not its sign bits (asymmetric: Σ (q − centre)ᵢ · ±1, through one 256-entry table per
   * byte of code, so 48 lookups a 384-bit code): a query's few large components count for what
   * they weigh, which a Hamming distance between sign bits loses (a short query's sparse vector
   * has nearly all its signs alike). The best `count` are found by a histogram of the scores.
   */
  private nearestCodes(query: Float32Array, count: number): Uint32Array {
    const n = this.slots.size;
    if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
    const per = this.words * 4;
    const tables = new Float32Array(per * 256);
    for (let b = 0; b < per; b++) {
      const base = b * 256;
      for (let bit = 0; bit < 8; bit++) {
        const i = b * 8 + bit;
        const w = i < this.dims ? query[i] - this.center[i] : 0;
        const step = 1 << bit;
        for (let v = 0; v < 256; v++) tables[base + v] += v & step ? w : -w;
      }
    }
    const { bits, words } = this;
    const score = new Float32Array(n);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let s = 0, at = 0; s < n; s++) {
      // A word read once, its four bytes by shifts (a quarter of the loads of reading bytes); four
      // sums: independent additions the CPU overlaps (one chain waits on each lookup).
      let x0 = 0;
      let x1 = 0;
      let x2 = 0;
      let x3 = 0;
      for (let w = 0, t = 0; w < words; w++, at++, t += 1024) {
        const word = bits[at];
        x0 += tables[t | (word & 255)];
        x1 += tables[(t + 256) | ((word >>> 8) & 255)];
        x2 += tables[(t + 512) | ((word >>> 16) & 255)];
        x3 += tables[(t + 768) | (word >>> 24)];
      }
      // Bounds of the stored (float32) scores, so each one falls in a bucket.
      score[s] = x0 + x1 + x2 + x3;
      const x = score[s];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    // Buckets from the best score down; the cut bucket is taken in slot order until `count`.
    const BUCKETS = 4096;
    const width = (hi - lo) / (BUCKETS - 1) || 1;
    const histogram = new Uint32Array(BUCKETS);
    for (let s = 0; s < n; s++) histogram[Math.floor((hi - score[s]) / width)]++;
    let cut = 0;
    let above = 0;
    while (above + histogram[cut] < count) above += histogram[cut++];
    let atCut = count - above;
    const out = new Uint32Array(count);
    let k = 0;
    for (let s = 0; s < n && k < count; s++) {
      const bucket = Math.floor((hi - score[s]) / width);
      if (bucket < cut || (bucket === cut && atCut-- > 0)) out[k++] = s;
    }
    return out;
  }

  private encodeBits(v: Float32Array, into: Uint32Array, at: number): void {
    into.fill(0, at, at + this.words);
    for (let i = 0; i < this.dims; i++) if (v[i] > this.center[i]) into[at + (i >>> 5)] |= 1 << (i & 31);
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const grown = <T extends Float64Array | Uint32Array | Int8Array | Float32Array>(a: T, make: (n: number) => T, per: number): T => {
      const b = make(capacity * per);
      b.set(a);
      return b;
    };
    this.ids = grown(this.ids, (n) => new Float64Array(n), 1);
    this.bits = grown(this.bits, (n) => new Uint32Array(n), this.words);
    this.bytes = grown(this.bytes, (n) => new Int8Array(n), this.dims);
    this.scales = grown(this.scales, (n) => new Float32Array(n), 1);
    this.capacity = capacity;
  }
}
