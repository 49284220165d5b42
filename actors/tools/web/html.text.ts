import { decodeEntities } from "./html.entities.ts";
import { tokenize } from "./html.tokens.ts";
import { TextWriter } from "./text.writer.ts";

/**
 * HTML → readable text for a model, in a light markdown: `#` headings, `- ` list items, links as
 * `text (absolute url)`, fenced pre blocks, inline code in backticks, table rows as `a | b`.
 * Page chrome and non-content (script, style, nav, footer, svg, hidden elements) is dropped.
 */
export interface HtmlText {
  readonly title?: string;
  readonly text: string;
}

// Dropped with everything inside them.
const DROP = new Set([
  "script",
  "style",
  "noscript",
  "svg",
  "math",
  "nav",
  "footer",
  "template",
  "iframe",
  "object",
  "canvas",
  "select",
  "button",
  "dialog",
  "audio",
  "video",
  "map",
  "datalist",
]);
const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
  "param",
  "keygen",
]);
// Only these may appear in <head>; any other start tag ends it (as in the HTML parser).
const HEAD_ONLY = new Set(["title", "base", "meta", "link", "style", "script", "noscript", "template"]);
// Closed implicitly by their parent's end, so "hidden" on them cannot safely skip to their end tag.
const IMPLICIT_END = new Set(["p", "li", "dt", "dd", "tr", "td", "th", "option", "html", "body", "head"]);
const PARAGRAPH = new Set(["p", "table", "figure", "dl", "ul", "ol", "hr", "details", "fieldset", "address"]);
const LINE = new Set([
  "div",
  "section",
  "article",
  "main",
  "header",
  "aside",
  "li",
  "dt",
  "dd",
  "tr",
  "caption",
  "figcaption",
  "summary",
  "form",
  "legend",
  "center",
  "hgroup",
  "body",
  "label",
  "option",
]);
const HEADING = /^h([1-6])$/;
const WS = /[\t\n\f\r ]+/g;

const isHidden = (attrs: ReadonlyMap<string, string>): boolean =>
  attrs.has("hidden") ||
  attrs.get("aria-hidden")?.toLowerCase() === "true" ||
  /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(attrs.get("style") ?? "");

export function htmlToText(html: string, pageUrl: string): HtmlText {
  let base: URL | undefined;
  try {
    base = new URL(pageUrl);
  } catch {
    base = undefined;
  }
  const w = new TextWriter();
  let title: string | undefined;
  let inHead = false;
  let inTitle = false;
  let skip: { name: string; depth: number } | undefined;
  let pre = 0;
  let preFresh = false; // the newline right after <pre> is not content
  const lists: { ordered: boolean; n: number }[] = [];
  const cells: number[] = [];
  const links: { href?: string }[] = [];

  const resolve = (href: string | undefined): string | undefined => {
    const h = href?.trim();
    if (!h || h.startsWith("#") || /^(javascript|data|vbscript):/i.test(h)) return undefined;
    try {
      return new URL(h, base).href;
    } catch {
      return undefined;
    }
  };

  for (const t of tokenize(html)) {
    if (t.type === "text") {
      if (inTitle) {
        title ??= decodeEntities(t.text).replace(WS, " ").trim() || undefined;
        continue;
      }
      if (skip || inHead || t.raw) continue;
      let text = decodeEntities(t.text).replace(/\u00a0/g, " ");
      if (pre > 0 && preFresh) text = text.replace(/^\r?\n/, "");
      preFresh = false;
      if (pre > 0) w.pre(text);
      else w.words(text.replace(WS, " "));
      continue;
    }
    const name = t.name;
    if (skip) {
      if (name === skip.name) skip.depth += t.type === "start" ? (t.selfClosing ? 0 : 1) : -1;
      if (skip.depth === 0) skip = undefined;
      continue;
    }
    if (t.type === "start") {
      if (name === "title") {
        inTitle = !t.selfClosing;
        continue;
      }
      if (name === "base") {
        const b = resolve(t.attrs.get("href"));
        if (b !== undefined) base = new URL(b);
        continue;
      }
      if (name === "head") {
        inHead = true;
        continue;
      }
      if (inHead && HEAD_ONLY.has(name)) {
        if (DROP.has(name) && !t.selfClosing) skip = { name, depth: 1 };
        continue;
      }
      inHead = false;
      if (VOID.has(name)) {
        if (isHidden(t.attrs)) continue;
        if (name === "br") w.lineBreak();
        else if (name === "hr") {
          w.block(2);
          w.inline("---");
          w.block(2);
        } else if (name === "img") {
          const alt = t.attrs.get("alt")?.replace(WS, " ").trim();
          if (alt) w.inline(`[image: ${alt}]`);
        }
        continue;
      }
      if (DROP.has(name) || (isHidden(t.attrs) && !IMPLICIT_END.has(name))) {
        if (!t.selfClosing) skip = { name, depth: 1 };
        continue;
      }
      const h = HEADING.exec(name);
      if (h) {
        w.block(2);
        w.marker(`${"#".repeat(Number(h[1]))} `);
      } else if (name === "li") {
        const list = lists.at(-1);
        w.block(1);
        const indent = "  ".repeat(Math.max(0, lists.length - 1));
        w.marker(list?.ordered ? `${indent}${++list.n}. ` : `${indent}- `);
      } else if (name === "ul" || name === "ol") {
        w.block(lists.length > 0 ? 1 : 2);
        const start = Number(t.attrs.get("start") ?? "1");
        lists.push({ ordered: name === "ol", n: Number.isFinite(start) ? start - 1 : 0 });
      } else if (name === "pre" || name === "listing") {
        w.block(2);
        w.fence();
        pre++;
        preFresh = true;
      } else if (name === "code" || name === "kbd" || name === "samp") {
        if (pre === 0) w.inline("`");
      } else if (name === "a") {
        links.push({ href: resolve(t.attrs.get("href")) });
        w.openCapture();
      } else if (name === "table") {
        w.block(2);
        cells.push(0);
      } else if (name === "tr") {
        w.block(1);
        if (cells.length > 0) cells[cells.length - 1] = 0;
      } else if (name === "td" || name === "th") {
        if (cells.length > 0 && cells[cells.length - 1]++ > 0) w.glue(" | ");
      } else if (name === "blockquote") {
        w.block(2);
        w.quote(+1);
      } else if (PARAGRAPH.has(name)) w.block(2);
      else if (LINE.has(name)) w.block(1);
      continue;
    }
    // End tags.
    if (name === "title") inTitle = false;
    else if (name === "head") inHead = false;
    else if (HEADING.test(name) || PARAGRAPH.has(name) || name === "table") {
      w.marker("");
      if (name === "ul" || name === "ol") lists.pop();
      if (name === "table") cells.pop();
      w.block(name === "ul" || name === "ol" ? (lists.length > 0 ? 1 : 2) : 2);
    } else if (name === "pre" || name === "listing") {
      if (pre > 0) {
        pre--;
        w.fence();
        w.block(2);
      }
    } else if (name === "code" || name === "kbd" || name === "samp") {
      if (pre === 0) w.glue("`");
    } else if (name === "a") {
      const link = links.pop();
      const text = w.closeCapture().trim();
      if (link?.href && text !== "" && text !== link.href && !text.includes(link.href)) w.glue(` (${link.href})`);
    } else if (name === "blockquote") {
      w.quote(-1);
      w.block(2);
    } else if (LINE.has(name)) {
      if (name === "li") w.marker("");
      w.block(1);
    }
  }
  return { ...(title ? { title } : {}), text: w.done() };
}
