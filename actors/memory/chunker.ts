/**
 * Markdown into chunks for search: a chunk is a heading's section (its heading path kept as
 * context), a long section is split on line boundaries to at most `maxChars`, and consecutive
 * pieces of one section share `overlapLines` lines, so a sentence cut by a boundary is still whole
 * in one of them. Lines are 1-based and inclusive: what `memory_get` and citations name.
 */

export interface Chunk {
  readonly startLine: number;
  readonly endLine: number;
  /** The heading path, e.g. "Travel › Iceland" ("" before the first heading). */
  readonly heading: string;
  readonly text: string;
}

export interface ChunkOptions {
  readonly maxChars?: number;
  readonly overlapLines?: number;
}

export const DEFAULT_CHUNK_CHARS = 1200;
export const DEFAULT_OVERLAP_LINES = 2;

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;

interface Section {
  heading: string;
  start: number; // index into lines
  end: number; // exclusive
}

const sections = (lines: readonly string[]): Section[] => {
  const out: Section[] = [];
  const path: string[] = [];
  let current: Section = { heading: "", start: 0, end: 0 };
  let fenced = false;
  lines.forEach((line, i) => {
    if (FENCE.test(line)) fenced = !fenced;
    const m = fenced ? null : HEADING.exec(line);
    if (!m) return;
    current.end = i;
    if (current.end > current.start) out.push(current);
    const level = m[1].length;
    path.length = level - 1;
    path[level - 1] = m[2];
    current = { heading: path.filter(Boolean).join(" › "), start: i, end: 0 };
  });
  current.end = lines.length;
  if (current.end > current.start) out.push(current);
  return out;
};

export function chunkMarkdown(text: string, opts: ChunkOptions = {}): Chunk[] {
  const maxChars = opts.maxChars ?? DEFAULT_CHUNK_CHARS;
  const overlap = opts.overlapLines ?? DEFAULT_OVERLAP_LINES;
  const lines = text.split(/\r?\n/);
  const chunks: Chunk[] = [];
  for (const s of sections(lines)) {
    let from = s.start;
    while (from < s.end) {
      let to = from;
      let size = 0;
      // At least one line per piece, however long: a line is never cut.
      while (to < s.end && (to === from || size + lines[to].length + 1 <= maxChars)) size += lines[to++].length + 1;
      // Trailing blank lines are not part of what a citation points at.
      let end = to;
      while (end > from && !lines[end - 1].trim()) end--;
      if (end > from) chunks.push({ startLine: from + 1, endLine: end, heading: s.heading, text: lines.slice(from, end).join("\n") });
      if (to >= s.end) break;
      // Step back for the overlap, but always move forward.
      from = Math.max(from + 1, to - overlap);
    }
  }
  return chunks;
}
