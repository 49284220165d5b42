import { renderMarkdown } from "./markdown.ts";

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

  /** The blocks of `text`; a text that does not extend the previous one starts over. */
  update(text: string): readonly Block[] {
    if (text.length < this.#scanned || !text.startsWith(this.#doneText)) this.#reset();
    this.#scan(text);
    const tail = text.slice(this.#doneText.length);
    if (tail !== this.#tail.text) this.#tail = { text: tail, html: tail.trim() ? renderMarkdown(tail) : "" };
    return this.#tail.html ? [...this.#done, this.#tail] : this.#done;
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
        if (block.trim()) this.#done.push({ text: block, html: renderMarkdown(block) });
        this.#doneText = text.slice(0, nl + 1);
      }
      this.#scanned = nl + 1;
      this.#lineStart = nl + 1;
    }
  }
}
