import type { Node, Parser } from "web-tree-sitter";
import { READ_ONLY } from "./readonly.programs.ts";
import { bashParser } from "./shell.parser.ts";
import { wordOf, type Arg } from "./shell.words.ts";

/**
 * When the `exec` tool must ask a person first (`[tools.exec] approval_mode`):
 * - `always`: every command asks;
 * - `never`: nothing asks (the tool result says approvals are off);
 * - `smart` (default): the command is parsed (tree-sitter-bash) and runs directly only when every
 *   command in it is a read-only program from `READ_ONLY` with only words its rule accepts, joined
 *   at most by `;`, `&&`, `||`, newlines and `|`. Anything else asks: a parse error, redirection,
 *   substitution, expansion, assignment, subshell, group, function, background `&`, `!`, control flow.
 * An allowlist pattern (`*` any run of characters, `?` one) that matches the whole trimmed command
 * runs it directly in `smart` mode when it is one simple command with no redirection, expansion
 * or substitution. The user's own "always allow" of an exact command wins in `smart` and `always`.
 */
export type ApprovalMode = "always" | "smart" | "never";

export type ExecVerdict = { readonly ask: false; readonly why: string } | { readonly ask: true; readonly why: string };

/** Past this a command is not parsed at all (a person reads it instead): bounds parse time and memory. */
export const MAX_JUDGED_COMMAND_BYTES = 16 * 1024;

const globToRegExp = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .trim()
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s",
  );

export const matchesAllowlist = (command: string, allowlist: readonly string[]): string | undefined =>
  allowlist.find((p) => globToRegExp(p).test(command.trim()));

/**
 * Whether a command needs an approval, and why (shown to the user and in the log). Async because
 * the grammar is loaded on first use; every caller (the run's approval gate) is already async,
 * so none has to remember to load it at start-up. `execVerdictWith` is the synchronous core.
 */
export const execVerdict = async (
  command: string,
  mode: ApprovalMode,
  allowlist: readonly string[] = [],
  remembered: readonly string[] = [],
): Promise<ExecVerdict> => {
  const early = byModeAndUser(command, mode, remembered);
  return early ?? execVerdictWith(await bashParser(), command, allowlist);
};

/** The verdict that needs no parse: the mode, and the user's "always allow" of this exact command. */
const byModeAndUser = (command: string, mode: ApprovalMode, remembered: readonly string[]): ExecVerdict | undefined => {
  if (mode !== "never" && remembered.includes(command.trim())) return { ask: false, why: "always allowed by the user" };
  if (mode === "always") return { ask: true, why: "approval_mode is always" };
  if (mode === "never") return { ask: false, why: "approval_mode is never" };
  return undefined;
};

/** `smart` mode on a loaded parser (also what the bench measures). */
export const execVerdictWith = (parser: Parser, command: string, allowlist: readonly string[] = []): ExecVerdict => {
  if (Buffer.byteLength(command) > MAX_JUDGED_COMMAND_BYTES) return { ask: true, why: "the command is too long to check" };
  const tree = parser.parse(command);
  if (!tree) return { ask: true, why: "the shell parser could not read the command" };
  try {
    const parsed = simpleCommands(tree.rootNode);
    const allowed = matchesAllowlist(command, allowlist);
    if ("problem" in parsed) return { ask: true, why: allowed ? `allowlisted (${allowed}), but ${parsed.problem}` : parsed.problem };
    if (parsed.commands.length === 0) return { ask: true, why: "the command is empty" };
    if (allowed !== undefined) {
      if (parsed.commands.length === 1) return { ask: false, why: `allowlisted (${allowed})` };
      return { ask: true, why: `allowlisted (${allowed}), but it chains or pipes into more commands` };
    }
    for (const [name, ...args] of parsed.commands) {
      const why = programVerdict(name, args);
      if (why !== undefined) return { ask: true, why };
    }
    return { ask: false, why: "read-only commands on the safe list" };
  } finally {
    tree.delete();
  }
};

const programVerdict = (name: Arg, args: readonly Arg[]): string | undefined => {
  if (name.glob !== "none") return `the program name ${JSON.stringify(name.value)} is a pattern`;
  // `./ls` or `/tmp/ls` is whatever the workspace put there.
  if (name.value.includes("/")) return `${JSON.stringify(name.value)} runs a program by its path`;
  const check = READ_ONLY.get(name.value);
  if (!check) return `${JSON.stringify(name.value)} is not a read-only program on the safe list`;
  return check(name.value, args);
};

/** Why each structure asks, by tree-sitter-bash node type. */
const STRUCTURE_WHY: Record<string, string> = {
  redirected_statement: "it redirects input or output",
  file_redirect: "it redirects input or output",
  herestring_redirect: "it redirects input (here-string)",
  heredoc_redirect: "it redirects input (here-document)",
  variable_assignment: "it sets variables (X=… cmd changes what the program does)",
  subshell: "it runs a subshell",
  compound_statement: "it runs a command group",
  function_definition: "it defines a function",
  negated_command: "it negates a command",
  declaration_command: "it declares variables",
  unset_command: "it unsets variables",
  test_command: "it uses a test expression",
  if_statement: "it uses control flow",
  while_statement: "it uses control flow",
  for_statement: "it uses control flow",
  c_style_for_statement: "it uses control flow",
  case_statement: "it uses control flow",
};

/** The words of every simple command in the tree, or why the tree is not just simple commands. */
const simpleCommands = (root: Node): { problem: string } | { commands: Arg[][] } => {
  if (root.hasError) return { problem: "the shell parser could not read the whole command (unbalanced quotes or a syntax error)" };
  const commands: Arg[][] = [];
  // An explicit stack, not recursion: `ls && ls && …` nests one list per operator.
  const stack: Node[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.isError || node.isMissing) return { problem: "the shell parser could not read the whole command" };
    switch (node.type) {
      case "program":
      case "list":
      case "pipeline":
        for (let i = node.childCount - 1; i >= 0; i--) {
          const child = node.child(i) as Node;
          if (child.isNamed) stack.push(child);
          else if (child.type === "&") return { problem: "it runs a command in the background" };
          else if (child.type === "|&") return { problem: "it redirects error output into a pipe" };
          else if (![";", "&&", "||", "|", "\n"].includes(child.type))
            return { problem: `it uses shell syntax the gate does not judge (${child.type})` };
        }
        break;
      case "comment":
        break;
      case "command": {
        const words = commandWords(node);
        if ("problem" in words) return words;
        commands.push(words.words);
        break;
      }
      default:
        return { problem: STRUCTURE_WHY[node.type] ?? `it uses shell syntax the gate does not judge (${node.type})` };
    }
  }
  return { commands };
};

const commandWords = (node: Node): { problem: string } | { words: Arg[] } => {
  const words: Arg[] = [];
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i) as Node;
    const field = node.fieldNameForChild(i);
    if (child.type === "command_name") {
      const name = child.childCount === 1 ? wordOf(child.child(0) as Node) : { dynamic: "shell syntax the gate does not judge" };
      if ("dynamic" in name) return { problem: `the program to run is computed by ${name.dynamic}` };
      words.push(name);
    } else if (field === "argument") {
      const w = wordOf(child);
      if ("dynamic" in w) return { problem: `it uses ${w.dynamic}` };
      words.push(w);
    } else if (child.type !== "comment") {
      return { problem: STRUCTURE_WHY[child.type] ?? `it uses shell syntax the gate does not judge (${child.type})` };
    }
  }
  if (words.length === 0) return { problem: "it has no program to run" };
  return { words };
};
