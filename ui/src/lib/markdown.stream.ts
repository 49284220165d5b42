/** One rendered piece of a streaming reply. */
export type Block = { text: string; html: string };

/** A line that opens or closes a fenced code block. */
const FENCE = /^ {0,3}(```|~~~)/;

/**
 * A reply's markdown rendered as it streams, in linear time: the text is cut into blocks at blank
 * lines outside code fences, and a block, once a later one has started, is never rendered again.
 * Only the last (growing) block is re-rendered per delta, so 5,000 tokens cost 5,000 renders of
 * one paragraph, not of the whole reply. Blocks render apart, so a finished reply is rendered
 * whole once more (`renderMarkdown`) to join constructs that span blank lines (loose lists).
 */
export class MarkdownStream {
  #done: Block[] = [];
  /** The text covered by `#done`. */
  #doneText = "";
  /** Scan state after `#doneText`: the offset scanned to and whether it is inside a fence. */
  #scanned = 0;
  #inFence = false;
  #lineStart = 0;
  #tail: Block = { text: "", html: "" };
  readonly #render: (text: string) => string;

  /** `render` is markdown → safe HTML (`renderMarkdown`; injected so the cutting is testable without a DOM). */
  constructor(render: (text: string) => string) {
    this.#render = render;
  }

  /** The blocks of `text`; a text that does not extend the previous one starts over. */
  update(text: string): readonly Block[] {
    if (text.length < this.#scanned || !this.#continues(text)) this.#reset();
    this.#scan(text);
    const tail = text.slice(this.#doneText.length);
    if (tail !== this.#tail.text) this.#tail = { text: tail, html: tail.trim() ? this.#render(tail) : "" };
    return this.#tail.html ? [...this.#done, this.#tail] : this.#done;
  }

  /**
   * Whether `text` extends what was rendered. A full comparison would cost the whole reply per
   * delta, the very thing this class avoids; the last characters before the cut are compared
   * instead. Reply texts only grow, except when a resumed stream fills a gap (rare): a change that
   * far back shows once the reply ends and is rendered whole.
   */
  #continues(text: string): boolean {
    const end = this.#doneText.length;
    const from = Math.max(0, end - 256);
    return text.slice(from, end) === this.#doneText.slice(from, end);
  }

  #reset(): void {
    this.#done = [];
    this.#doneText = "";
    this.#scanned = 0;
    this.#inFence = false;
    this.#lineStart = 0;
  }

  /** Walks the new complete lines, closing a block at each blank line outside a fence. */
  #scan(text: string): void {
    for (let nl = text.indexOf("\n", this.#scanned); nl !== -1; nl = text.indexOf("\n", this.#scanned)) {
      const line = text.slice(this.#lineStart, nl);
      if (FENCE.test(line)) this.#inFence = !this.#inFence;
      else if (!this.#inFence && line.trim() === "" && nl + 1 > this.#doneText.length) {
        const block = text.slice(this.#doneText.length, nl + 1);
        if (block.trim()) this.#done.push({ text: block, html: this.#render(block) });
        this.#doneText = text.slice(0, nl + 1);
      }
      this.#scanned = nl + 1;
      this.#lineStart = nl + 1;
    }
  }
}
