import { CairnError } from "./errors.ts";

/**
 * JSON from outside, parsed with a bound on nesting. V8's `JSON.parse` is iterative and takes
 * 100,000 nested `[` in its stride, but everything after it recurses — schema decoding, error
 * formatting, `JSON.stringify` of a reply that echoes the value — and dies with "Maximum call
 * stack size exceeded" somewhere a client should never reach. So the depth is measured first, by
 * a flat scan with no recursion, and a value that is too deep is never built at all.
 */

/**
 * Nesting the wire ever needs (a WS frame's params, an HTTP body). A frame is itself one level,
 * its params another, so legitimate payloads stay far below this.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * True when arrays/objects in `text` nest deeper than `maxDepth`. One pass, constant memory,
 * stops at the first level too deep. Brackets inside strings do not count. Malformed JSON is not
 * judged here (`JSON.parse` does that next); the scan only has to be right for valid JSON.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/**
 * Parses untrusted JSON text. Throws `CairnError("bad_request")` for text that is not JSON or
 * nests deeper than `maxDepth`; never a stack overflow.
 */
export function parseJsonBounded(text: string, what: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonNestsDeeperThan(text, maxDepth)) {
    throw new CairnError("bad_request", `${what}: JSON nesting too deep (more than ${maxDepth} levels)`, { maxDepth });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CairnError("bad_request", `${what} is not valid JSON`);
  }
}
