import { parseArgs } from "node:util";
import { UsageError } from "./usage.ts";

/** Command-line parsing shared by the `cairn` command table (main.ts) and its node group (main.node.ts). */

export const int = (v: string | undefined, name: string, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, got '${v}'`);
  return n;
};

export type Options = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

/** Strict parsing (unknown flags are usage errors); every command gets -h/--help. */
export const parse = (args: string[], options: Options) => {
  const r = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
};

export const print = (text: string): number => {
  process.stdout.write(`${text}\n`);
  return 0;
};
