import { optionCheck, quote, type ProgramCheck } from "./option.rules.ts";
import type { Arg } from "./shell.words.ts";

/**
 * `sed` prints unless its script writes or runs: `-i`, `w`/`W` commands, the `w` and `e` flags
 * of `s`, the `e` command, `r` reading into the output are all ways out. The script must parse
 * as a short list of commands from a printing-only subset; anything else asks. Only `/` is
 * accepted as a delimiter and no `[` may appear in a regex or replacement: GNU sed reads a delimiter inside a bracket
 * expression as part of it (`s/[/]/;/w out/p` writes the file `out/p`), so the two readers could
 * disagree about where a regex ends.
 */
export const sedCheck: ProgramCheck = (program, args) => {
  const scripts: Arg[] = [];
  let i = 0;
  const options = optionCheck({
    flags: "nEsuz",
    withValue: "l",
    long: ["quiet", "silent", "regexp-extended", "separate", "unbuffered", "null-data", "posix", "debug", "sandbox", "line-length="],
  });
  const words: Arg[] = [];
  for (; i < args.length; i++) {
    const v = args[i].value;
    if (v === "--expression" || /^-[nEsuz]*e$/.test(v)) {
      const s = args[++i];
      if (s === undefined) return `${program} ${v} has no script`;
      scripts.push(s);
    } else if (v.startsWith("--expression=")) scripts.push({ value: v.slice("--expression=".length), glob: args[i].glob });
    else if (/^-[nEsuz]*e./.test(v)) scripts.push({ value: v.slice(v.indexOf("e") + 1), glob: args[i].glob });
    else words.push(args[i]);
  }
  const bad = options(program, words);
  if (bad !== undefined) return bad;
  const operands = words.filter((w) => !w.value.startsWith("-") || w.value === "-");
  // Without -e the first operand is the script.
  if (scripts.length === 0 && operands.length > 0) scripts.push(operands[0]);
  for (const s of scripts) {
    if (s.glob !== "none") return `${program}: the script ${quote(s.value)} is an unquoted pattern`;
    if (!printingOnly(s.value)) return `${program}: the script ${quote(s.value)} is not known to only print (w, e, r and -i write or run)`;
  }
  return undefined;
};

const NUMBER_ADDR = String.raw`(?:\d+(?:~\d+)?|\$)`;
const REGEX_ADDR = String.raw`/(?:[^/\\\n[]|\\[^\n])*/[IM]*`;
const ADDR = `(?:${NUMBER_ADDR}|${REGEX_ADDR})`;
const RANGE = `(?:${ADDR}(?:\\s*,\\s*(?:${ADDR}|[+~]\\d+))?)`;
const SUBST = String.raw`s/(?:[^/\\\n[]|\\[^\n])*/(?:[^/\\\n[]|\\[^\n])*/[gpiIMm0-9]*`;
const SIMPLE = "(?:[pdnNDPgGhHx=]|[qQl]\\s*\\d*)";
const COMMAND = `\\s*(?:${RANGE}\\s*!?\\s*)?(?:${SUBST}|${SIMPLE})\\s*`;
const SCRIPT = new RegExp(`^${COMMAND}(?:[;\\n]${COMMAND})*;?\\s*$`);

/** A script made only of printing commands: `10,20p`, `/re/d`, `s/a/b/g`, `$=`, `5q`, `1d;$d`. */
const printingOnly = (script: string): boolean => SCRIPT.test(script);
