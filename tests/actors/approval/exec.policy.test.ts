/**
 * The exec policy on the real grammar (tree-sitter-bash's wasm): every hostile command of the
 * fixture asks in `smart` mode, everyday read-only commands still run directly, the words the gate
 * judges are the words sh really passes (checked against /bin/sh), and bad input never breaks it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MAX_JUDGED_COMMAND_BYTES, bashParser, execVerdict, execVerdictWith } from "../../../actors/approval/index.ts";

const hostile = JSON.parse(readFileSync(new URL("../../fixtures/hostile-commands.json", import.meta.url), "utf8")) as {
  command: string;
  attacks: string;
}[];

const smart = (command: string, allowlist: readonly string[] = []) => execVerdict(command, "smart", allowlist);

describe("smart mode: hostile commands", () => {
  test("the fixture holds at least 100 commands, each with what it attacks, and every example of the issue", () => {
    expect(hostile.length).toBeGreaterThanOrEqual(100);
    for (const h of hostile) expect(h.attacks.length).toBeGreaterThan(3);
    const commands = hostile.map((h) => h.command);
    for (const example of [
      "git status",
      "sort -o out.txt in.txt",
      "uniq in.txt out.txt",
      "tree -o out.txt",
      "git branch -D main",
      'find . "-delete"',
      "find . -fprintf out.txt '%p\\n'",
      "sort --compress-program=sh -S 1 in.txt",
      "echo x > /proc/sys/kernel/core_pattern",
      "sysctl -w kernel.core_pattern='|/tmp/x'",
    ]) {
      expect(commands).toContain(example);
    }
  });

  test.each(hostile.map((h) => [h.command, h.attacks]))("asks: %j (%s)", async (command) => {
    const v = await smart(command);
    expect(v.ask).toBe(true);
    expect(v.why.length).toBeGreaterThan(5);
  });

  test("the issue's chain: every command in it asks, and its write_file step is a protected path (write.policy.test.ts)", async () => {
    for (const step of [
      "git status",
      "echo '|/workspace/x' > /proc/sys/kernel/core_pattern",
      "sysctl -w kernel.core_pattern='|/workspace/x'",
      "git status && echo '|/workspace/x' > /proc/sys/kernel/core_pattern",
    ]) {
      expect((await smart(step)).ask).toBe(true);
    }
  });

  test("says why in words a person can act on", async () => {
    expect((await smart('find . "-delete"')).why).toBe("find -delete is not an option known to be read-only");
    expect((await smart("uniq in.txt out.txt")).why).toBe('uniq writes its second operand ("out.txt")');
    expect((await smart("ls > x")).why).toBe("it redirects input or output");
    expect((await smart("$CMD x")).why).toBe("the program to run is computed by a variable expansion");
    expect((await smart("git status")).why).toMatch(/core\.fsmonitor/);
    expect((await smart("sort *")).why).toMatch(/may expand to a file name that is an option/);
  });
});

describe("smart mode: read-only commands still run directly", () => {
  test.each([
    "ls",
    "ls -la",
    "ls -la src",
    "ls src/*.ts",
    "ls *",
    "ls -- -weird-name",
    "cat README.md",
    'cat "my file.txt"',
    "cat my\\ file.txt",
    "head -n 20 README.md",
    "head -20 README.md",
    "tail -n 50 log.txt",
    "wc -l src/*.ts",
    "grep -rn foo src",
    "grep -rn 'foo bar' --include='*.ts' .",
    "grep -c x f.txt # count them",
    "ls | wc -l",
    "cat a.txt | sort | uniq -c | sort -rn | head",
    "find . -name '*.ts' -type f",
    "find src -maxdepth 2 -type d",
    'find . -name "*.md" -print0',
    "find . -newer package.json -ls",
    "find . \\( -name a -o -name b \\) -print",
    'f"ind" . -name x',
    "sed -n '1,20p' README.md",
    "sed -n '/start/,/end/p' f.txt",
    "sed 's/foo/bar/g' f.txt",
    "sed -e 's/a/b/' -e 's/c/d/' f.txt",
    "sed -n '$=' f.txt",
    "sed '1d;$d' f.txt",
    "sort -n nums.txt",
    "sort -k2,2 -t, data.csv",
    "sort -u words.txt",
    "sort --reverse --key=2 words.txt",
    "uniq -c sorted.txt",
    "cut -d: -f1 /etc/passwd",
    "tr a-z A-Z",
    "tree -L 2",
    "tree -a -I node_modules",
    "du -sh .",
    "df -h",
    "pwd",
    "whoami",
    "id",
    "uname -a",
    "date",
    "date +%Y-%m-%d",
    "date -u",
    "git --version",
    "git version",
    "stat README.md",
    "file README.md",
    "which node",
    "echo hello",
    "printf '%s\\n' a b",
    "diff a.txt b.txt",
    "diff -u a.txt b.txt",
    "realpath .",
    "basename /a/b",
    "dirname /a/b",
    "ls && pwd",
    "ls; pwd",
    "ls\npwd",
    "true",
    "env",
    "printenv PATH",
    "hostname",
    "nl f.txt",
    "sha256sum f.txt",
    "seq 1 10",
  ])("runs: %j", async (command) => {
    expect(await smart(command)).toEqual({ ask: false, why: "read-only commands on the safe list" });
  });
});

describe("smart mode: the parse itself", () => {
  test("the words judged are the words sh passes: quoting cannot disguise them", async () => {
    // Prefixing a command with printf makes sh print the words it would pass to the program.
    const argv = (command: string) =>
      execFileSync("/bin/sh", ["-c", `printf '%s\\0' ${command}`], { encoding: "utf8" })
        .split("\0")
        .slice(0, -1);
    const plain = (words: readonly string[]) => words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
    const cases: [string, string[]][] = [
      ['find . "-delete"', ["find", ".", "-delete"]],
      ["find . '-exec' x", ["find", ".", "-exec", "x"]],
      ['f"ind" . -de"le"te', ["find", ".", "-delete"]],
      ["\\rm -rf x", ["rm", "-rf", "x"]],
      ["'r'm a\\ b \"c\\\"d\" 'e\\f'", ["rm", "a b", 'c"d', "e\\f"]],
      ['sort -o"ut" x', ["sort", "-out", "x"]],
      ['uniq "" out', ["uniq", "", "out"]],
      ["ca\\t 'README.md'", ["cat", "README.md"]],
    ];
    for (const [command, words] of cases) {
      expect(argv(command)).toEqual(words);
      // The disguised command gets exactly the verdict of its words written plainly.
      expect(await smart(command)).toEqual(await smart(plain(words)));
    }
    expect((await smart('find . "-delete"')).ask).toBe(true);
    expect((await smart("ca\\t 'README.md'")).ask).toBe(false);
  });

  test("unbalanced quotes, dangling operators and garbage ask, and the parser stays usable after them", async () => {
    for (const bad of ["echo 'x", 'echo "x', "ls |", "ls &&", "ls $(", "cat <<", "((", "}", "ls )", "\u0000ls"]) {
      const v = await smart(bad);
      expect(v.ask).toBe(true);
    }
    expect((await smart("echo 'x")).why).toMatch(/parser could not read/);
    expect((await smart("ls")).ask).toBe(false);
  });

  test("an empty command, a comment alone and an over-long command ask", async () => {
    expect((await smart("")).ask).toBe(true);
    expect((await smart("# nothing")).ask).toBe(true);
    const long = `ls ${"a ".repeat(MAX_JUDGED_COMMAND_BYTES)}`;
    expect(await smart(long)).toEqual({ ask: true, why: "the command is too long to check" });
  });

  test("deep nesting is judged without recursion: 1,300 chained ls run, one touch among them asks", async () => {
    const chain = Array.from({ length: 1300 }, () => "ls").join(" && ");
    expect((await smart(chain)).ask).toBe(false);
    expect(await smart(`${chain} && touch x && ${chain}`)).toEqual({
      ask: true,
      why: '"touch" is not a read-only program on the safe list',
    });
  });

  test("any text: a verdict with a reason, never a throw (fast-check)", async () => {
    const parser = await bashParser();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ls -a|&;<>$(){}[]'\"\\`*?#!= \n\tx/.~".split("")), maxLength: 60 }), (s) => {
        const v = execVerdictWith(parser, s);
        expect(typeof v.ask).toBe("boolean");
        expect(v.why.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  test("a writer behind a read-only prefix asks however its name is quoted (fast-check)", async () => {
    const parser = await bashParser();
    const quoteWord = (w: string, how: number): string =>
      [w, `'${w}'`, `"${w}"`, `\\${w}`, `${w[0]}"${w.slice(1)}"`, `'${w[0]}'${w.slice(1)}`][how];
    fc.assert(
      fc.property(
        fc.constantFrom("ls", "cat README.md", "grep -rn x .", "echo hi", "git --version"),
        fc.constantFrom(" ; ", " && ", " || ", " | ", "\n"),
        fc.constantFrom("rm", "touch", "sh", "awk", "xargs", "tee", "dd", "sysctl", "eval", "git"),
        fc.integer({ min: 0, max: 5 }),
        (prefix, sep, writer, how) => {
          expect(execVerdictWith(parser, `${prefix}${sep}${quoteWord(writer, how)} x`).ask).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("modes, the allowlist and the user's always-allow", () => {
  test("always asks even for ls and allowlisted commands; never never asks", async () => {
    expect((await execVerdict("ls", "always", ["ls"])).ask).toBe(true);
    expect(await execVerdict("rm -rf x", "never")).toEqual({ ask: false, why: "approval_mode is never" });
  });

  test("an exact command the user always allowed runs in smart and always mode, and only that exact command", async () => {
    expect(await execVerdict("make deploy", "smart", [], ["make deploy"])).toEqual({ ask: false, why: "always allowed by the user" });
    expect((await execVerdict(" make deploy ", "always", [], ["make deploy"])).ask).toBe(false);
    expect((await execVerdict("make deploy; rm x", "smart", [], ["make deploy"])).ask).toBe(true);
  });

  test("an allowlisted simple command runs; chaining, piping, redirecting or substituting still asks", async () => {
    expect(await smart("npm test", ["npm test", "make *"])).toEqual({ ask: false, why: "allowlisted (npm test)" });
    expect((await smart("make build", ["make *"])).ask).toBe(false);
    expect((await smart("npm install", ["npm test"])).ask).toBe(true);
    for (const c of [
      "make x; rm -rf ~",
      "make x | sh",
      "make x && rm y",
      "make x\nrm y",
      "make > out",
      "make $(id)",
      "make $X",
      "make &",
    ]) {
      const v = await smart(c, ["make *"]);
      expect(v.ask).toBe(true);
      expect(v.why).toMatch(/^allowlisted \(make \*\), but /);
    }
  });
});
