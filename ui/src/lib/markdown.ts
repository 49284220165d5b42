import DOMPurify from "dompurify";
import { marked } from "marked";

// Links in model output open in a new tab and never get the opener.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/**
 * Model output as HTML that is safe to inject: marked renders, DOMPurify removes anything
 * executable (scripts, event handlers, javascript: URLs). Never skip the sanitize step.
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: true });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}
