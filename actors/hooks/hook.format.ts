import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { CairnError, decodeOrFail, HookFrontMatter } from "../../schemas/index.ts";

/** A parsed HOOK.md: its decoded front matter and the prose after it (shown by `cairn hooks info`). */
export interface HookDocument {
  readonly front: HookFrontMatter;
  readonly body: string;
}

const FENCES = [
  { fence: "+++", parse: (s: string) => parseToml(s) as unknown, what: "TOML" },
  { fence: "---", parse: (s: string) => parseYaml(s) as unknown, what: "YAML" },
] as const;

/**
 * Reads a HOOK.md. The front matter is either `+++` TOML (the seed product's format, so its
 * hooks work unchanged) or `---` YAML (the usual Markdown front matter). Anything that does not
 * parse or decode is `hook_invalid` naming the file: a broken hook is listed, never run.
 */
export const parseHookMd = (text: string, where: string): HookDocument => {
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
  const firstLine = src.split("\n", 1)[0].trim();
  const kind = FENCES.find((f) => f.fence === firstLine);
  if (!kind)
    throw new CairnError("hook_invalid", `${where}: a HOOK.md starts with front matter between '+++' (TOML) or '---' (YAML) lines`);
  const rest = src.slice(src.indexOf("\n") + 1);
  const end = rest.search(new RegExp(`^${kind.fence.replaceAll("+", "\\+")}[ \\t]*$`, "m"));
  if (end < 0) throw new CairnError("hook_invalid", `${where}: the front matter is not closed by a '${kind.fence}' line`);
  let raw: unknown;
  try {
    raw = kind.parse(rest.slice(0, end));
  } catch (e) {
    throw new CairnError("hook_invalid", `${where}: the front matter is not valid ${kind.what}: ${(e as Error).message.split("\n")[0]}`);
  }
  let front: HookFrontMatter;
  try {
    front = decodeOrFail(HookFrontMatter, raw, "HOOK.md");
  } catch (e) {
    throw new CairnError("hook_invalid", `${where}: ${(e as Error).message}`);
  }
  const body = rest
    .slice(end)
    .replace(/^[^\n]*\n?/, "")
    .trim();
  return { front, body };
};
