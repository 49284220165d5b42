/**
 * One reply's text as its live deltas arrive. Deltas are placed by index, so repeats after a
 * resume are dropped and a replay that interleaves with live deltas still assembles in order. The
 * next delta in order (nearly always) is appended: a long reply costs linear work, not a re-join
 * of every part on every token.
 */
export class DeltaText {
  #parts: string[] = [];
  #text = "";
  /** Full re-joins so far: only a delta that fills a gap needs one. */
  rejoins = 0;

  get text(): string {
    return this.#text;
  }

  /** Places one delta; false when that index was already there (a repeat). */
  place(index: number, text: string): boolean {
    if (!Number.isInteger(index) || index < 0 || this.#parts[index] !== undefined) return false;
    const next = index === this.#parts.length;
    this.#parts[index] = text;
    if (next) this.#text += text;
    else {
      this.rejoins++;
      this.#text = this.#parts.join("");
    }
    return true;
  }
}
