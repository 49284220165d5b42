import type { Node } from "web-tree-sitter";

/**
 * One shell word as the program will receive it, decided from the parse (never from the raw
 * text), so quoting cannot disguise it: `"-delete"`, `'-exec'`, `f"ind"` and `\rm` are the words
 * `-delete`, `-exec`, `find` and `rm`.
 *
 * `glob` says the word still holds an unquoted pattern the shell expands against the workspace's
 * file names, which the agent controls (write_file can create a file named `-o` or `-delete`):
 * - "leading": the pattern starts with `*`, `?` or `[`, so it may expand to options;
 * - "inner": a literal prefix comes first (`src/*.ts`), so it expands to operands only, but how
 *   many is unknown.
 */
export interface Arg {
  readonly value: string;
  readonly glob: "none" | "inner" | "leading";
}

/** A word the shell computes when it runs (expansion, substitution, …): no static value to judge. */
export interface Dynamic {
  readonly dynamic: string;
}

const DYNAMIC_WHY: Record<string, string> = {
  simple_expansion: "a variable expansion",
  expansion: "a variable expansion",
  command_substitution: "a command substitution",
  process_substitution: "a process substitution",
  arithmetic_expansion: "an arithmetic expansion",
  brace_expression: "a brace expansion",
  ansi_c_string: "ANSI-C quoting ($'…'), which sh does not read as bash does",
  translated_string: 'a locale-translated string ($"…")',
};

const dynamic = (type: string): Dynamic => ({ dynamic: DYNAMIC_WHY[type] ?? `shell syntax the gate does not judge (${type})` });

/** The value of a word node, or why it has none. `first`: the node begins a shell word. */
export const wordOf = (node: Node, first = true): Arg | Dynamic => {
  switch (node.type) {
    case "word":
    case "number":
      return unquoted(node.text, first);
    case "raw_string":
      return { value: node.text.slice(1, -1), glob: "none" };
    case "string":
      return doubleQuoted(node);
    case "concatenation": {
      let value = "";
      let glob: Arg["glob"] = "none";
      for (let i = 0; i < node.childCount; i++) {
        const part = wordOf(node.child(i) as Node, first && i === 0);
        if ("dynamic" in part) return part;
        // A pattern anywhere makes the word a pattern; it can expand to an option only from the front
        // (`""*` is as open as `*`).
        if (part.glob !== "none") glob = glob === "leading" || (part.glob === "leading" && value === "") ? "leading" : "inner";
        value += part.value;
      }
      return { value, glob };
    }
    default:
      return dynamic(node.type);
  }
};

/** Where sh ends a word or starts an operator: never inside one unquoted word. */
const SEPARATORS = new Set([" ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")"]);

/**
 * An unquoted word: backslash quotes the next character (backslash-newline disappears). Anything
 * that expands is refused here too (`$`, backticks, braces), even where the grammar left it in a
 * plain word: dash, bash in POSIX mode and busybox sh do not agree on every corner. So is a word
 * that sh would split, where the grammar did not: tree-sitter-bash reads `ls<newline>\rm x` as
 * one command `ls` with the words `<newline>\rm` and `x`; sh runs `ls`, then `rm x`.
 */
const unquoted = (text: string, first: boolean): Arg | Dynamic => {
  let value = "";
  let glob: Arg["glob"] = "none";
  if (first && text.startsWith("#")) return { dynamic: "a word sh reads as a comment" };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (SEPARATORS.has(c)) return { dynamic: "a word the parser and sh would split differently" };
    if (c === "\\") {
      i++;
      if (i < text.length && text[i] !== "\n") value += text[i];
      continue;
    }
    if (c === "$" || c === "`") return { dynamic: "a variable expansion or substitution" };
    if (c === "{" || c === "}") return { dynamic: "a brace expansion" };
    if (c === "*" || c === "?" || c === "[") glob = glob === "leading" || value === "" ? "leading" : "inner";
    value += c;
  }
  return { value, glob };
};

/** Inside double quotes a backslash quotes only `$`, `` ` ``, `"`, `\` and newline. */
const doubleQuoted = (node: Node): Arg | Dynamic => {
  let value = "";
  for (let i = 0; i < node.childCount; i++) {
    const part = node.child(i) as Node;
    if (part.type === '"') continue;
    if (part.type !== "string_content") return dynamic(part.type);
    value += part.text.replace(/\\([$`"\\\n])/g, (_, ch: string) => (ch === "\n" ? "" : ch));
  }
  return { value, glob: "none" };
};
