import { decodeEntities } from "./html.entities.ts";

/**
 * A forgiving HTML tokenizer: enough of the HTML parsing rules to read real pages (raw-text
 * elements, unquoted attributes, comments, stray "<"), linear in the input, never throwing.
 * Text tokens are raw (entities not decoded): the consumer decides, since script text is dropped.
 */
export type HtmlToken =
  | { readonly type: "text"; readonly text: string; readonly raw?: true }
  | { readonly type: "start"; readonly name: string; readonly attrs: ReadonlyMap<string, string>; readonly selfClosing: boolean }
  | { readonly type: "end"; readonly name: string };

// Elements whose content is not markup: it runs to the matching end tag. `raw` says whether
// entities in it are decoded (title, textarea) or not (script, style, ...).
const RAW_TEXT = new Set(["script", "style", "xmp", "iframe", "noembed", "noframes", "noscript"]);
const RCDATA = new Set(["title", "textarea"]);

const TAG_NAME = /[a-zA-Z][^\s/>]*/y;
const ATTR = /([^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/y;
const SPACE_OR_SLASH = /[\s/]*/y;

export function* tokenize(html: string): Generator<HtmlToken> {
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      yield { type: "text", text: html.slice(i) };
      return;
    }
    if (lt > i) yield { type: "text", text: html.slice(i, lt) };
    i = lt;
    const next = html[i + 1] ?? "";
    if (html.startsWith("<!--", i)) {
      const end = html.indexOf("-->", i + 4);
      i = end < 0 ? n : end + 3;
    } else if (next === "!" || next === "?") {
      // Doctype, CDATA outside foreign content, processing instructions: bogus comments.
      const end = html.indexOf(">", i + 2);
      i = end < 0 ? n : end + 1;
    } else if (next === "/") {
      TAG_NAME.lastIndex = i + 2;
      const m = TAG_NAME.exec(html);
      const end = html.indexOf(">", i + 2);
      if (m === null) {
        // "</>" is dropped; "</ 3" is a bogus comment.
        i = end < 0 ? n : end + 1;
        continue;
      }
      yield { type: "end", name: m[0].toLowerCase() };
      i = end < 0 ? n : end + 1;
    } else if (/[a-zA-Z]/.test(next)) {
      TAG_NAME.lastIndex = i + 1;
      const tag = TAG_NAME.exec(html);
      if (tag === null) {
        i++; // not reached: the next character is a letter, which TAG_NAME always matches
        continue;
      }
      const name = tag[0].toLowerCase();
      const attrs = new Map<string, string>();
      let j = TAG_NAME.lastIndex;
      let selfClosing = false;
      while (j < n && html[j] !== ">") {
        SPACE_OR_SLASH.lastIndex = j;
        const ws = SPACE_OR_SLASH.exec(html)?.[0] ?? ""; // matches, possibly empty, at any index
        j += ws.length;
        if (html[j] === ">") {
          selfClosing = ws.endsWith("/");
          break;
        }
        ATTR.lastIndex = j;
        const a = ATTR.exec(html);
        if (a === null) {
          j++;
          continue;
        }
        const key = a[1].toLowerCase();
        if (!attrs.has(key)) attrs.set(key, decodeEntities(a[2] ?? a[3] ?? a[4] ?? "", true));
        j = ATTR.lastIndex;
      }
      i = j + 1;
      yield { type: "start", name, attrs, selfClosing };
      if ((RAW_TEXT.has(name) || RCDATA.has(name)) && !selfClosing) {
        const close = findClose(html, name, i);
        if (close > i)
          yield RCDATA.has(name) ? { type: "text", text: html.slice(i, close) } : { type: "text", text: html.slice(i, close), raw: true };
        yield { type: "end", name };
        const gt = close < n ? html.indexOf(">", close) : -1;
        i = gt < 0 ? n : gt + 1;
      }
    } else {
      yield { type: "text", text: "<" };
      i++;
    }
  }
}

/** Start of the "</name" that ends a raw-text element, or the end of input. */
function findClose(html: string, name: string, from: number): number {
  const re = new RegExp(`</${name}(?=[\\s/>]|$)`, "gi");
  re.lastIndex = from;
  const m = re.exec(html);
  return m === null ? html.length : m.index;
}
