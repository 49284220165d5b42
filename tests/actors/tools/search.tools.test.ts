import { mkdir, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_GLOB_RESULTS, MAX_GREP_MATCHES, globToRegExp } from "../../../actors/tools/index.ts";
import { errorOf, okOutput, useWorkspace } from "./tools.helpers.ts";

const files = async (root: string, entries: Record<string, string>) => {
  for (const [p, content] of Object.entries(entries)) {
    await mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await writeFile(path.join(root, p), content);
  }
};

describe("globToRegExp", () => {
  it.each([
    ["**/*.ts", ["a.ts", "src/a.ts", "src/deep/b.ts"], ["a.js", "src/a.tsx", ".hidden/a.ts"]],
    ["*.ts", ["a.ts"], ["src/a.ts"]],
    ["src/**", ["src/a", "src/x/y"], ["other/a"]],
    ["src/*/?.md", ["src/x/a.md"], ["src/a.md", "src/x/ab.md"]],
    ["{a,b}/*.[jt]s", ["a/x.js", "b/y.ts"], ["c/x.js", "a/x.cs"]],
    ["[!a]*.txt", ["b.txt"], ["a.txt"]],
    ["a+(b).txt", ["a+(b).txt"], ["aab.txt"]],
  ])("%s", (glob, yes, no) => {
    const re = globToRegExp(glob);
    for (const p of yes) expect(re.test(p), `${glob} ~ ${p}`).toBe(true);
    for (const p of no) expect(re.test(p), `${glob} !~ ${p}`).toBe(false);
  });
});

describe("glob", () => {
  const workspace = useWorkspace();

  it("lists matching files relative to the workspace, sorted", async () => {
    const { ws, call } = await workspace();
    await files(ws, { "b.ts": "", "src/a.ts": "", "src/x/c.ts": "", "src/x/c.js": "", "node_modules/m/i.ts": "", ".git/h.ts": "" });
    expect(okOutput(await call("glob", { pattern: "**/*.ts" }))).toBe("b.ts\nsrc/a.ts\nsrc/x/c.ts");
    expect(okOutput(await call("glob", { pattern: "*.ts", path: "src/x" }))).toBe("src/x/c.ts");
    expect(okOutput(await call("glob", { pattern: "node_modules/**/*.ts" }))).toBe("node_modules/m/i.ts");
    expect(okOutput(await call("glob", { pattern: "**/*.py" }))).toBe("no files match **/*.py");
  });

  it("does not descend into symlinked directories and hides links leading out", async () => {
    const { ws, outside, call } = await workspace();
    await files(outside, { "secret.ts": "" });
    await files(ws, { "in.ts": "" });
    await symlink(outside, path.join(ws, "out"));
    await symlink(path.join(outside, "secret.ts"), path.join(ws, "leak.ts"));
    await symlink(path.join(ws, "in.ts"), path.join(ws, "alias.ts"));
    expect(okOutput(await call("glob", { pattern: "**/*.ts" }))).toBe("alias.ts\nin.ts");
  });

  it("refuses patterns that climb out", async () => {
    const { call } = await workspace();
    for (const pattern of ["../*", "/etc/*", "a/../../*"]) {
      expect(errorOf(await call("glob", { pattern })).details).toMatchObject({ reason: "path_escape" });
    }
    expect(errorOf(await call("glob", { pattern: "{a,b" })).code).toBe("bad_request");
  });

  it(`caps at ${MAX_GLOB_RESULTS} paths`, async () => {
    const { ws, call } = await workspace();
    await Promise.all(Array.from({ length: MAX_GLOB_RESULTS + 5 }, (_, i) => writeFile(path.join(ws, `f${i}.txt`), "")));
    const r = await call("glob", { pattern: "*.txt" });
    expect(r).toMatchObject({ ok: true, truncated: true });
    const lines = okOutput(r).split("\n");
    expect(lines).toHaveLength(MAX_GLOB_RESULTS + 1);
    expect(lines.at(-1)).toMatch(/^\[truncated: first 1000 matches/);
  });
});

describe("grep", () => {
  const workspace = useWorkspace();

  it("prints file:line:text, filtered by glob and path", async () => {
    const { ws, call } = await workspace();
    await files(ws, { "a.ts": "const x = 1;\nfoo();\n", "src/b.ts": "// foo\nbar\n", "src/c.md": "foo\n", bin: "foo\0" });
    expect(okOutput(await call("grep", { pattern: "foo" }))).toBe("a.ts:2:foo();\nsrc/b.ts:1:// foo\nsrc/c.md:1:foo");
    expect(okOutput(await call("grep", { pattern: "foo", glob: "*.ts" }))).toBe("a.ts:2:foo();\nsrc/b.ts:1:// foo");
    expect(okOutput(await call("grep", { pattern: "^FOO", path: "src", ignore_case: true }))).toBe("src/c.md:1:foo");
    expect(okOutput(await call("grep", { pattern: "x = \\d", path: "a.ts" }))).toBe("a.ts:1:const x = 1;");
    expect(okOutput(await call("grep", { pattern: "zzz" }))).toBe("no matches for /zzz/");
  });

  it("refuses an invalid regular expression and a missing path", async () => {
    const { call } = await workspace();
    expect(errorOf(await call("grep", { pattern: "(" })).details).toMatchObject({ reason: "invalid_regex" });
    expect(errorOf(await call("grep", { pattern: "a", path: "nope" })).details).toMatchObject({ reason: "not_found" });
  });

  it("does not search through symlinks leading out", async () => {
    const { ws, outside, call } = await workspace();
    await files(outside, { "secret.txt": "password=hunter2\n" });
    await files(ws, { "ok.txt": "password=fine\n" });
    await symlink(outside, path.join(ws, "out"));
    await symlink(path.join(outside, "secret.txt"), path.join(ws, "leak.txt"));
    expect(okOutput(await call("grep", { pattern: "password" }))).toBe("ok.txt:1:password=fine");
    expect(errorOf(await call("grep", { pattern: "password", path: "leak.txt" })).details).toMatchObject({ reason: "path_escape" });
  });

  it(`caps at ${MAX_GREP_MATCHES} matches and says so`, async () => {
    const { ws, call } = await workspace();
    await files(ws, { "m.txt": "hit\n".repeat(MAX_GREP_MATCHES + 10) });
    const r = await call("grep", { pattern: "hit" });
    expect(r).toMatchObject({ ok: true, truncated: true });
    const lines = okOutput(r).split("\n");
    expect(lines).toHaveLength(MAX_GREP_MATCHES + 1);
    expect(lines.at(-1)).toContain("first 500 matches shown");
  });

  it("stops when the run is cancelled", async () => {
    const { ws, registry, ctx } = await workspace();
    await files(ws, { "a.txt": "x\n" });
    const ac = new AbortController();
    const pending = registry.invoke("grep", '{"pattern":"x"}', { ...ctx, signal: ac.signal });
    ac.abort();
    const r = await pending;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("run_interrupted");
  });
});
