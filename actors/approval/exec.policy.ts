/**
 * When the `exec` tool must ask a person first (`[tools.exec] approval_mode`):
 * - `always`: every command asks;
 * - `never`: nothing asks (the tool result says approvals are off);
 * - `smart` (default): a command runs directly only when every part of it is a read-only command
 *   from a small safe list and it has no redirection, substitution or chaining into anything else.
 * Allowlist patterns (`*` any run of characters, `?` one) match the whole trimmed command and
 * run directly in `smart` mode, unless the command chains, pipes, redirects or substitutes.
 */
export type ApprovalMode = "always" | "smart" | "never";

export type ExecVerdict = { readonly ask: false; readonly why: string } | { readonly ask: true; readonly why: string };

const SAFE = new Set([
  "ls",
  "cat",
  "head",
  "tail",
  "wc",
  "pwd",
  "echo",
  "grep",
  "egrep",
  "fgrep",
  "find",
  "date",
  "whoami",
  "uname",
  "id",
  "stat",
  "file",
  "du",
  "df",
  "tree",
  "which",
  "basename",
  "dirname",
  "realpath",
  "sort",
  "uniq",
  "cut",
  "tr",
  "diff",
  "true",
  "false",
  "printf",
  "env",
  "hostname",
  "git",
]);
/** git sub-commands that only read. */
const SAFE_GIT = new Set(["status", "log", "diff", "show", "branch", "rev-parse", "ls-files", "blame"]);
/** find actions that run or delete something. */
const FIND_UNSAFE = /(^|\s)-(exec|execdir|ok|okdir|delete|fprint|fprint0|fprintf|fls)(\s|$)/;

/** Redirection, substitution, background/chaining, subshells, globbing into commands, newlines. */
const META = /[;&<>`$(){}\\\n\r]/;

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

/** One pipeline stage: is it a read-only command from the safe list? */
const safeStage = (stage: string): boolean => {
  const words = stage.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const [cmd, ...args] = words;
  if (!SAFE.has(cmd)) return false;
  if (cmd === "git") return args.length > 0 && SAFE_GIT.has(args[0]) && !args.some((a) => a.startsWith("--output"));
  if (cmd === "find") return !FIND_UNSAFE.test(` ${args.join(" ")} `);
  if (cmd === "env") return args.length === 0; // `env X=1 cmd` would run anything
  return true;
};

/** Whether a command needs an approval, and why (shown to the user and in the log). */
export const execVerdict = (
  command: string,
  mode: ApprovalMode,
  allowlist: readonly string[] = [],
  remembered: readonly string[] = [],
): ExecVerdict => {
  // The user's own "always allow" of this exact command, given when approving it.
  if (mode !== "never" && remembered.includes(command.trim())) return { ask: false, why: "always allowed by the user" };
  if (mode === "always") return { ask: true, why: "approval_mode is always" };
  if (mode === "never") return { ask: false, why: "approval_mode is never" };
  // Checked before the allowlist: `make *` must not let `make x; rm -rf ~` through.
  if (META.test(command)) return { ask: true, why: "the command uses shell redirection, substitution or chaining" };
  // `|` between safe stages is fine (`ls | wc -l`); `||` is chaining.
  if (command.includes("||")) return { ask: true, why: "the command uses shell redirection, substitution or chaining" };
  const allowed = matchesAllowlist(command, allowlist);
  if (allowed !== undefined && !command.includes("|")) return { ask: false, why: `allowlisted (${allowed})` };
  const stages = command.split("|");
  if (stages.every(safeStage)) return { ask: false, why: "read-only command on the safe list" };
  return { ask: true, why: "not a read-only command on the safe list" };
};
