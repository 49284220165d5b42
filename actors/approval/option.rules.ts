import type { Arg } from "./shell.words.ts";

/** Why a program's words need an approval, or undefined when they only read. */
export type ProgramCheck = (program: string, args: readonly Arg[]) => string | undefined;

/**
 * The options a program may take without an approval; anything else asks. Deny by default:
 * GNU getopt accepts any unambiguous prefix of a long option (`sort --out=x` is `--output`), so
 * only exact names from the list pass.
 */
export interface OptionRule {
  /** Short flags without a value, e.g. "alh". */
  readonly flags: string;
  /** Short options whose value is attached (`-n5`) or the next word (`-n 5`). */
  readonly withValue?: string;
  /** Short options whose value can only be attached (`date -Iseconds`). */
  readonly attachedValue?: string;
  /** `head -20`: a run of digits is a count. */
  readonly digits?: boolean;
  /** Long options: "name" (no value), "name=" (a value, attached or next), "name?" (optionally attached). */
  readonly long?: readonly string[];
  /** The operands (non-option words), judged together; default: any number. */
  readonly operands?: (operands: readonly Arg[]) => string | undefined;
}

/** Judges words against an option rule: the first option or operand that may not be read-only. */
export const optionCheck =
  (rule: OptionRule): ProgramCheck =>
  (program, args) => {
    const operands: Arg[] = [];
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const v = a.value;
      if (endOfOptions || v === "-" || !v.startsWith("-")) {
        // A pattern that may expand to a file named like an option would bypass everything below.
        if (a.glob === "leading" && !endOfOptions) return `${program}: ${quote(v)} may expand to a file name that is an option`;
        operands.push(a);
        continue;
      }
      if (a.glob !== "none") return `${program}: ${quote(v)} is an option pattern`;
      if (v === "--") {
        endOfOptions = true;
        continue;
      }
      if (v.startsWith("--")) {
        const eq = v.indexOf("=");
        const name = v.slice(2, eq < 0 ? undefined : eq);
        const long = rule.long ?? [];
        if (long.includes(`${name}=`)) {
          const next = eq < 0 ? args[++i] : undefined; // `--key 2`: the value is the next word
          if (next && next.glob !== "none") return patternValue(program, v, next);
          continue;
        }
        if ((long.includes(name) && eq < 0) || long.includes(`${name}?`)) continue;
        return notKnown(program, eq < 0 ? v : v.slice(0, eq));
      }
      if (rule.digits && /^-\d+$/.test(v)) continue;
      for (let j = 1; j < v.length; j++) {
        const f = v[j];
        if (rule.withValue?.includes(f)) {
          const next = j === v.length - 1 ? args[++i] : undefined; // `-n 5`: the value is the next word
          if (next && next.glob !== "none") return patternValue(program, `-${f}`, next);
          break;
        }
        if (rule.attachedValue?.includes(f)) break;
        if (!rule.flags.includes(f)) return notKnown(program, `-${f}`);
      }
    }
    return rule.operands?.(operands);
  };

/** `sort -t *`: the pattern's first file name is the value, the rest become words of their own. */
const patternValue = (program: string, option: string, value: Arg): string =>
  `${program} ${option} takes a pattern (${quote(value.value)}) that may expand to several words`;

export const notKnown = (program: string, option: string): string => `${program} ${option} is not an option known to be read-only`;

export const quote = (s: string): string => JSON.stringify(s);

/** For programs none of whose options writes or runs anything: any static words. */
export const anyWords: ProgramCheck = () => undefined;

/** Programs that are read-only only when they get no words at all (`env`, `hostname`). */
export const noWords =
  (why: string): ProgramCheck =>
  (program, args) =>
    args.length === 0 ? undefined : `${program} with arguments ${why}`;
