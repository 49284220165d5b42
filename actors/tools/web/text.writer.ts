/**
 * The output side of the HTML → text conversion. Block boundaries are owed, not written, until
 * visible text follows: nested blocks, empty elements and whitespace-only text never stack up
 * blank lines, and a list marker or heading hashes land on the line of the text they belong to.
 */
export class TextWriter {
  #parts: string[] = [];
  #captures: string[][] = [];
  #breaks = 0; // newlines owed before the next text
  #space = false; // a space owed before the next word
  #marker = ""; // list bullet or heading hashes for the next line
  #quote = 0;
  #empty = true;
  #lineStart = true;

  #last = "";

  #emit(s: string): void {
    if (s === "") return;
    this.#last = s[s.length - 1];
    this.#parts.push(s);
    for (const c of this.#captures) c.push(s);
  }

  /** Writes what is owed (line breaks, quote prefix, marker, space) before visible text. */
  #flush(spaced: boolean): void {
    if (this.#breaks > 0 && !this.#empty) {
      this.#emit("\n".repeat(this.#breaks));
      this.#lineStart = true;
    }
    this.#breaks = 0;
    if (this.#lineStart) {
      this.#emit("> ".repeat(this.#quote) + this.#marker);
      this.#marker = "";
      this.#lineStart = false;
    } else if (spaced && this.#space) this.#emit(" ");
    this.#space = false;
    this.#empty = false;
  }

  /** Collapsed text: leading/trailing whitespace becomes one owed space. */
  words(text: string): void {
    if (text === "") return;
    const body = text.trim();
    if (text.startsWith(" ")) this.#space = true;
    if (body !== "") {
      this.#flush(true);
      this.#emit(body);
    }
    if (text.endsWith(" ") && body !== "") this.#space = true;
  }

  /** A token written as one word (image alt, a backtick opening code). */
  inline(s: string): void {
    this.#flush(true);
    this.#emit(s);
  }

  /** Text attached to what precedes it, with no space (closing backtick, link url, cell separator). */
  glue(s: string): void {
    const space = this.#space;
    this.#flush(false);
    this.#emit(s);
    this.#space = space && !s.startsWith(" ");
  }

  pre(text: string): void {
    this.#flush(false);
    this.#emit(text.replace(/\n/g, `\n${"> ".repeat(this.#quote)}`));
  }

  fence(): void {
    if (this.#last !== "\n") this.block(1);
    else this.#lineStart = true;
    this.#flush(false);
    this.#emit("```");
    this.#breaks = 1;
  }

  block(n: number): void {
    this.#breaks = Math.max(this.#breaks, n);
    this.#space = false;
  }

  lineBreak(): void {
    this.#breaks = Math.min(2, this.#breaks + 1);
    this.#space = false;
  }

  marker(m: string): void {
    this.#marker = m;
  }

  quote(delta: number): void {
    this.#quote = Math.max(0, this.#quote + delta);
  }

  openCapture(): void {
    this.#captures.push([]);
  }

  closeCapture(): string {
    return (this.#captures.pop() ?? []).join("");
  }

  done(): string {
    return this.#parts
      .join("")
      .split("\n")
      .map((l) => l.trimEnd())
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim();
  }
}
