/**
 * The gate against the shell that really runs the command: random commands built from shell
 * syntax, quoting and program names; for each one the gate lets through, /bin/sh runs it with a
 * PATH of recording stand-ins, in a directory holding files named like options (`-o`, `-delete`).
 * Every program sh actually started, with the argv it actually got (globs expanded, quotes
 * removed), must itself pass the gate. A disagreement between tree-sitter-bash and sh about where
 * a command or word ends shows up here as a program the gate never saw.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { bashParser, execVerdictWith } from "../../../actors/approval/index.ts";

const PROGRAMS = ["ls", "cat", "sort", "uniq", "find", "sed", "rm", "touch", "tee", "git", "head", "grep", "tree", "date", "wc", "sh"];
const dir = mkdtempSync(join(tmpdir(), "cairn-gate-"));
const bin = join(dir, "bin");
const work = join(dir, "work");
const log = join(dir, "log");
execFileSync("mkdir", ["-p", bin, work]);
for (const p of PROGRAMS) {
  writeFileSync(join(bin, p), `#!/bin/sh\nprintf '%s\\0' "\${0##*/}" "$@" >> "$GATE_LOG"\nprintf '\\001\\0' >> "$GATE_LOG"\n`);
  chmodSync(join(bin, p), 0o755);
}
for (const f of ["-o", "-delete", "-d", "-i", "x", "a b", "in.txt"]) writeFileSync(join(work, f), "");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What sh started: one argv per program run (builtins such as echo are not recorded: they do not exec). */
const run = (command: string): string[][] => {
  writeFileSync(log, "");
  try {
    execFileSync("/bin/sh", ["-c", command], { cwd: work, env: { PATH: bin, GATE_LOG: log }, stdio: "ignore", timeout: 10_000 });
  } catch {
    // A failing command still shows what it started.
  }
  return readFileSync(log, "utf8")
    .split("\u0001\0")
    .filter((r) => r !== "")
    .map((r) => r.split("\0").slice(0, -1));
};

const singleQuoted = (w: string) => `'${w.replaceAll("'", "'\\''")}'`;

const word = fc.oneof(
  fc.constantFrom(...PROGRAMS, "-o", "-delete", "-exec", "-n", "-la", "-name", "x", "in.txt", "*", "-*", "?", "[-]o", "1p", "w", "out"),
  fc.constantFrom("'-o'", '"-delete"', "\\-o", 'f"ind"', "\\rm", "'s/a/b/w out'", "'1,2p'", "--out=x", "-ox", "--compress-prog=sh"),
);
const sep = fc.constantFrom(" ", " ", " ", " ; ", " && ", " || ", " | ", "\n", "\n\\", " \\\n", "\\\n", " # ");
const command = fc.array(fc.tuple(word, sep), { minLength: 1, maxLength: 8 }).map((parts) => parts.map(([w, s]) => w + s).join(""));

describe("the gate agrees with /bin/sh", () => {
  test("every program sh starts for a command the gate lets through passes the gate itself, with its real argv", async () => {
    const parser = await bashParser();
    let allowed = 0;
    fc.assert(
      fc.property(command, (c) => {
        if (execVerdictWith(parser, c).ask) return;
        allowed++;
        for (const argv of run(c)) {
          const rebuilt = argv.map(singleQuoted).join(" ");
          expect({ command: c, ran: argv, verdict: execVerdictWith(parser, rebuilt) }).toMatchObject({ verdict: { ask: false } });
        }
      }),
      { numRuns: 1000 },
    );
    // The property means something only if the gate let a fair number of commands through.
    expect(allowed).toBeGreaterThan(20); // about 5% of the commands drawn here
  });
});
