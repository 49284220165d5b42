import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import type { HLJSApi } from "highlight.js";

// Links in model output open in a new tab and never get the opener.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/**
 * The highlighter, once loaded. It is a separate chunk (`loadHighlighter`) so the first paint
 * does not pay for ~35 grammars; until it is there code blocks render plain.
 */
let hljs: HLJSApi | null = null;
let loading: Promise<void> | null = null;

/** Loads highlight.js (its common languages) once; resolves when code blocks can be highlighted. */
export const loadHighlighter = (): Promise<void> => {
  loading ??= import("highlight.js/lib/common").then((m) => {
    hljs = m.default;
  });
  return loading;
};

export const highlighterReady = (): boolean => hljs !== null;

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The language word of a fence info string (`ts title="x"` → `ts`), safe to put in a class. */
export const fenceLanguage = (info: string | undefined): string =>
  (info ?? "")
    .trim()
    .split(/\s+/)[0]
    .replace(/[^\w+#.-]/g, "")
    .slice(0, 32);

const highlighted = (code: string, lang: string): string => {
  if (!hljs) return escapeHtml(code);
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  } catch {
    // A grammar that throws on odd input falls back to plain text, never to a broken message.
  }
  return escapeHtml(code);
};

// A code block: its language and a Copy button above the code. The click is handled by the
// message (event delegation), since sanitized HTML carries no handlers.
const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = fenceLanguage(lang);
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : `<span class="code-lang"></span>`;
      const cls = language ? ` class="hljs language-${escapeHtml(language)}"` : ` class="hljs"`;
      return (
        `<div class="code-block"><div class="code-head">${label}` +
        `<button type="button" class="code-copy" data-copy-code="">Copy</button></div>` +
        `<pre><code${cls}>${highlighted(text.replace(/\n$/, ""), language)}</code></pre></div>\n`
      );
    },
  },
});

/**
 * Model output as HTML that is safe to inject: marked renders, DOMPurify removes anything
 * executable (scripts, event handlers, javascript: URLs). Never skip the sanitize step.
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}
