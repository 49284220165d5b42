import { notKnown, quote, type ProgramCheck } from "./option.rules.ts";

/** Tests and options of find that take one value word. */
const WITH_VALUE = new Set(
  [
    "name",
    "iname",
    "path",
    "ipath",
    "wholename",
    "iwholename",
    "regex",
    "iregex",
    "lname",
    "ilname",
    "type",
    "xtype",
    "size",
    "mtime",
    "mmin",
    "atime",
    "amin",
    "ctime",
    "cmin",
    "used",
    "newer",
    "anewer",
    "cnewer",
    "perm",
    "user",
    "group",
    "uid",
    "gid",
    "links",
    "inum",
    "samefile",
    "fstype",
    "maxdepth",
    "mindepth",
    "regextype",
    // Formats to standard output; the file-writing twin -fprintf is not on any list.
    "printf",
  ].map((n) => `-${n}`),
);

/** Tests, options, operators and actions of find that take no value and only read or print. */
const BARE = new Set([
  ...[
    "empty",
    "readable",
    "writable",
    "executable",
    "true",
    "false",
    "nouser",
    "nogroup",
    "depth",
    "follow",
    "xdev",
    "mount",
    "noleaf",
    "daystart",
    "ignore_readdir_race",
    "noignore_readdir_race",
    "print",
    "print0",
    "ls",
    "prune",
    "quit",
    "not",
    "a",
    "and",
    "o",
    "or",
  ].map((n) => `-${n}`),
  "!",
  "(",
  ")",
  ",",
]);

/**
 * `find`: starting points, then an expression whose every word must be a known test or a
 * printing action. -exec, -execdir, -ok, -okdir, -delete, -fprint, -fprint0, -fprintf and -fls
 * (and anything unknown) ask. No pattern may stand in the expression: `-name x*` unquoted expands
 * to as many words as there are matching files, which shifts every word after it (files named
 * `-d` and `-delete` turn `-name -d*` into `-name -d -delete`).
 */
export const findCheck: ProgramCheck = (program, args) => {
  let i = 0;
  // -H, -L, -P before the starting points choose how symlinks are followed (reading only).
  while (i < args.length && /^-[HLP]+$/.test(args[i].value) && args[i].glob === "none") i++;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a.value.startsWith("-") || a.value === "(" || a.value === "!") break;
    if (a.glob === "leading") return `${program}: ${quote(a.value)} may expand to a file name that find reads as an action`;
  }
  for (; i < args.length; i++) {
    const a = args[i];
    if (a.glob !== "none") return `${program}: the pattern ${quote(a.value)} in the expression expands against file names (quote it)`;
    if (BARE.has(a.value)) continue;
    if (WITH_VALUE.has(a.value) || /^-newer[aBcmt][aBcmt]$/.test(a.value)) {
      i++;
      const value = args[i];
      if (value === undefined) return `${program} ${a.value} has no value`;
      if (value.glob !== "none")
        return `${program}: the pattern ${quote(value.value)} in the expression expands against file names (quote it)`;
      continue;
    }
    return notKnown(program, a.value);
  }
  return undefined;
};
