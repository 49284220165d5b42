import { findCheck } from "./find.rule.ts";
import { anyWords, noWords, optionCheck, quote, type ProgramCheck } from "./option.rules.ts";
import { sedCheck } from "./sed.rule.ts";

/**
 * The programs `smart` mode runs without asking, each with the words it may take.
 *
 * `anyWords`: none of the program's options (GNU coreutils, BSD, busybox) writes a file, runs
 * another program or changes the system, so every static word is fine, patterns included.
 * The others have such an option and get an explicit list of read-only ones: anything not on it
 * asks. What is deliberately not here: interpreters and runners (`awk` has `system()` and
 * `print >`, `xargs`, `env X=… cmd`, `sh`, `eval`, `find -exec`), and git beyond `--version`.
 */
export const READ_ONLY: ReadonlyMap<string, ProgramCheck> = new Map<string, ProgramCheck>([
  ...["cat", "ls", "head", "tail", "wc", "grep", "egrep", "fgrep", "echo", "printf", "pwd", "whoami", "id"].map(
    (p) => [p, anyWords] as const,
  ),
  ...["uname", "true", "false", "du", "df", "stat", "basename", "dirname", "realpath", "readlink", "which"].map(
    (p) => [p, anyWords] as const,
  ),
  ...["cut", "tr", "nl", "diff", "printenv", "md5sum", "sha1sum", "sha256sum", "sha512sum", "seq"].map((p) => [p, anyWords] as const),
  ["find", findCheck],
  ["sed", sedCheck],
  [
    "sort",
    // Not: -o/--output (writes), --compress-program (runs), -T (temp files where it is told).
    optionCheck({
      flags: "bdfgiMhnRrsuVcCz",
      withValue: "ktS",
      long: [
        ...["numeric-sort", "reverse", "unique", "ignore-case", "human-numeric-sort", "version-sort", "general-numeric-sort"],
        ...["month-sort", "random-sort", "stable", "zero-terminated", "ignore-leading-blanks", "dictionary-order"],
        ...["ignore-nonprinting", "check?", "debug", "key=", "field-separator=", "buffer-size=", "parallel="],
      ],
    }),
  ],
  [
    "uniq",
    // `uniq IN OUT` writes OUT: one operand at most, and never a pattern (it may name two files).
    optionCheck({
      flags: "cdDiuz",
      withValue: "fsw",
      long: [
        ...["count", "repeated", "unique", "ignore-case", "zero-terminated", "all-repeated?", "group?"],
        ...["skip-fields=", "skip-chars=", "check-chars="],
      ],
      operands: (ops) =>
        ops.some((o) => o.glob !== "none")
          ? "uniq: a pattern may expand to a second operand, which uniq writes"
          : ops.length > 1
            ? `uniq writes its second operand (${quote(ops[1].value)})`
            : undefined,
    }),
  ],
  [
    "tree",
    // Not: -o (writes), -R (writes 00Tree.html in every directory), -H, -T, --fromfile.
    optionCheck({
      flags: "adlfxpsughDFrtvUNQSACJXincq",
      withValue: "LPI",
      long: ["dirsfirst", "noreport", "du", "prune", "gitignore", "matchdirs", "ignore-case", "si", "charset=", "filelimit=", "sort="],
    }),
  ],
  [
    "date",
    // An operand other than +FORMAT sets the clock; so do -s/--set.
    optionCheck({
      flags: "uR",
      withValue: "dfr",
      attachedValue: "I",
      long: ["utc", "universal", "rfc-email", "debug", "iso-8601?", "rfc-3339=", "date=", "reference=", "file="],
      operands: (ops) =>
        ops.find((o) => !o.value.startsWith("+") || o.glob !== "none")
          ? "date with an operand other than +FORMAT sets the clock"
          : undefined,
    }),
  ],
  [
    "hostname",
    // A name operand or -F/--file sets the host name.
    optionCheck({
      flags: "sfdiIAa",
      long: ["short", "fqdn", "long", "domain", "ip-address", "all-ip-addresses", "alias", "all-fqdns"],
      operands: (ops) => (ops.length > 0 ? "hostname with a name sets the host name" : undefined),
    }),
  ],
  [
    "file",
    // Not: -C/--compile (writes a .mgc file), -p (changes access times).
    optionCheck({
      flags: "bcEhiklLNrsvz0",
      withValue: "efFmP",
      long: [
        ...["brief", "mime", "mime-type", "mime-encoding", "dereference", "no-dereference", "keep-going", "no-pad"],
        ...["raw", "special-files", "uncompress", "uncompress-noreport", "print0", "extension", "apple"],
      ],
    }),
  ],
  ["env", noWords("runs a program with a changed environment")],
  ["git", gitCheck()],
]);

/**
 * git reads the repository's own config, which lives in the workspace: `status`, `diff`, `log`,
 * `show`, `blame`, `ls-files` may run core.fsmonitor, diff and textconv drivers, filters and the
 * pager from it; `branch -D/-m/-c` writes. Only the version needs no repository.
 */
function gitCheck(): ProgramCheck {
  return (program, args) =>
    args.length === 1 && (args[0].value === "--version" || args[0].value === "version")
      ? undefined
      : `${program} may run programs named in the repository's config (core.fsmonitor, diff drivers, textconv, pager, hooks) or write`;
}
