/**
 * The door to markdown rendering that the first paint does not pay for: marked and DOMPurify
 * (~130 kB of the bundle) are a separate chunk, fetched when the first reply is shown. Until then a
 * reply shows as escaped plain text (line breaks kept), then renders in place.
 */
type Markdown = typeof import("./markdown.ts");

let md: Markdown | null = null;
let loading: Promise<Markdown> | null = null;

/** Loads the renderer once; resolves when `renderMarkdown` renders markdown. */
export const loadMarkdown = (): Promise<Markdown> => {
  loading ??= import("./markdown.ts").then((m) => (md = m));
  return loading;
};

export const markdownReady = (): boolean => md !== null;

/** Loads the renderer and then highlight.js (its own chunk, for replies with code). */
export const loadHighlighter = (): Promise<void> => loadMarkdown().then((m) => m.loadHighlighter());

export const highlighterReady = (): boolean => md?.highlighterReady() ?? false;

/** A text that holds a fenced code block, so loading the highlighter is worth it. */
export const hasCodeBlock = (text: string): boolean => /^ {0,3}(```|~~~)/m.test(text);

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Safe HTML for model output: markdown once the renderer is here, escaped text before. */
export const renderMarkdown = (text: string): string =>
  md ? md.renderMarkdown(text) : text.trim() ? `<p style="white-space: pre-wrap">${escapeHtml(text)}</p>` : "";
