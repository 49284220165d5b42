import { mkdir, readFile, readdir, stat, symlink, writeFile, chmod } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_READ_LINES, MAX_OUTPUT_BYTES } from "../../../actors/tools/index.ts";
import { errorOf, okOutput, useWorkspace } from "./tools.helpers.ts";

describe("read_file", () => {
  const workspace = useWorkspace();

  it("reads text with line numbers, an offset and a limit", async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "a.txt"), "one\ntwo\r\nthree\nfour\n");
    expect(okOutput(await call("read_file", { path: "a.txt" }))).toBe("     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour");
    expect(okOutput(await call("read_file", { path: "a.txt", line_numbers: false }))).toBe("one\ntwo\nthree\nfour");
    const part = await call("read_file", { path: "a.txt", offset: 2, limit: 2 });
    expect(part).toMatchObject({ ok: true, truncated: true });
    expect(okOutput(part)).toMatch(/^ {5}2\ttwo\n {5}3\tthree\n\[truncated: .*offset=4 to continue\]$/);
    expect(okOutput(await call("read_file", { path: "a.txt", offset: 9 }))).toContain("past the end");
  });

  it("caps output at 100 KB and says how to continue", async () => {
    const { ws, call } = await workspace();
    const line = "x".repeat(999);
    await writeFile(path.join(ws, "big.txt"), `${line}\n`.repeat(500));
    const r = await call("read_file", { path: "big.txt", line_numbers: false });
    expect(r).toMatchObject({ ok: true, truncated: true });
    const out = okOutput(r);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES + 200);
    const shown = out.split("\n").filter((l) => l === line).length;
    expect(shown).toBe(102);
    expect(out).toContain(`output capped at 100 KB (lines 1-${shown})`);
    expect(out).toContain(`offset=${shown + 1}`);
    const next = okOutput(await call("read_file", { path: "big.txt", offset: shown + 1, line_numbers: false }));
    expect(next.startsWith(line)).toBe(true);
  });

  it(`returns ${DEFAULT_READ_LINES} lines by default`, async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "many.txt"), Array.from({ length: 2500 }, (_, i) => `l${i + 1}`).join("\n"));
    const r = await call("read_file", { path: "many.txt" });
    expect(r).toMatchObject({ ok: true, truncated: true });
    expect(okOutput(r)).toContain(`offset=${DEFAULT_READ_LINES + 1}`);
  });

  it("cuts overlong lines and marks the result truncated", async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "min.js"), "y".repeat(5000));
    const r = await call("read_file", { path: "min.js" });
    expect(r).toMatchObject({ ok: true, truncated: true });
    expect(okOutput(r)).toContain("[line cut at 2000 chars]");
  });

  it("refuses missing files, directories and binaries", async () => {
    const { ws, call } = await workspace();
    await mkdir(path.join(ws, "d"));
    await writeFile(path.join(ws, "bin"), Buffer.from([1, 0, 2]));
    expect(errorOf(await call("read_file", { path: "nope" }))).toMatchObject({ code: "bad_request", details: { reason: "not_found" } });
    expect(errorOf(await call("read_file", { path: "d" }))).toMatchObject({ code: "bad_request", details: { reason: "is_directory" } });
    expect(errorOf(await call("read_file", { path: "bin" }))).toMatchObject({ code: "bad_request", details: { reason: "binary" } });
  });
});

describe("write_file", () => {
  const workspace = useWorkspace();

  it("creates parent directories and overwrites atomically, keeping the mode", async () => {
    const { ws, call } = await workspace();
    expect(okOutput(await call("write_file", { path: "a/b/c.txt", content: "hello" }))).toBe("created a/b/c.txt (5 bytes)");
    expect(await readFile(path.join(ws, "a/b/c.txt"), "utf8")).toBe("hello");
    await chmod(path.join(ws, "a/b/c.txt"), 0o600);
    expect(okOutput(await call("write_file", { path: "a/b/c.txt", content: "bye" }))).toBe("overwrote a/b/c.txt (3 bytes)");
    expect(await readFile(path.join(ws, "a/b/c.txt"), "utf8")).toBe("bye");
    expect((await stat(path.join(ws, "a/b/c.txt"))).mode & 0o777).toBe(0o600);
    expect(await readdir(path.join(ws, "a/b"))).toEqual(["c.txt"]); // no temp files left
  });

  it("refuses to overwrite a directory or the workspace itself", async () => {
    const { ws, call } = await workspace();
    await mkdir(path.join(ws, "d"));
    expect(errorOf(await call("write_file", { path: "d", content: "x" }))).toMatchObject({ code: "bad_request" });
    expect(errorOf(await call("write_file", { path: ".", content: "x" }))).toMatchObject({ code: "bad_request" });
  });
});

describe("edit_file", () => {
  const workspace = useWorkspace();

  it("replaces a unique exact match, literally", async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "f.ts"), "const a = 1;\nconst b = 2;\n");
    expect(okOutput(await call("edit_file", { path: "f.ts", old_string: "b = 2", new_string: "b = '$&$1'" }))).toBe(
      "replaced 1 occurrence in f.ts",
    );
    expect(await readFile(path.join(ws, "f.ts"), "utf8")).toBe("const a = 1;\nconst b = '$&$1';\n");
  });

  it("refuses a missing or ambiguous match, and replaces all when asked", async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "f.txt"), "x x x");
    expect(errorOf(await call("edit_file", { path: "f.txt", old_string: "y", new_string: "z" }))).toMatchObject({
      code: "bad_request",
      details: { reason: "not_found" },
    });
    const amb = errorOf(await call("edit_file", { path: "f.txt", old_string: "x", new_string: "z" }));
    expect(amb).toMatchObject({ code: "bad_request", details: { reason: "ambiguous", occurrences: 3 } });
    expect(amb.message).toContain("replace_all");
    expect(await readFile(path.join(ws, "f.txt"), "utf8")).toBe("x x x");
    expect(okOutput(await call("edit_file", { path: "f.txt", old_string: "x", new_string: "z", replace_all: true }))).toBe(
      "replaced 3 occurrences in f.txt",
    );
    expect(await readFile(path.join(ws, "f.txt"), "utf8")).toBe("z z z");
  });

  it("refuses an empty or unchanged old_string and a missing file", async () => {
    const { ws, call } = await workspace();
    await writeFile(path.join(ws, "f.txt"), "abc");
    expect(errorOf(await call("edit_file", { path: "f.txt", old_string: "", new_string: "z" })).code).toBe("bad_request");
    expect(errorOf(await call("edit_file", { path: "f.txt", old_string: "a", new_string: "a" })).code).toBe("bad_request");
    expect(errorOf(await call("edit_file", { path: "g.txt", old_string: "a", new_string: "b" }))).toMatchObject({
      details: { reason: "not_found" },
    });
  });
});

describe("confinement through the tools", () => {
  const workspace = useWorkspace();

  it("refuses escapes for every file tool", async () => {
    const { call } = await workspace();
    for (const p of ["../x", "/etc/passwd", "a/../../x", "a\u0000b"]) {
      for (const [tool, args] of [
        ["read_file", { path: p }],
        ["write_file", { path: p, content: "pwned" }],
        ["edit_file", { path: p, old_string: "root", new_string: "toor" }],
        ["glob", { pattern: "*", path: p }],
        ["grep", { pattern: "root", path: p }],
      ] as const) {
        const e = errorOf(await call(tool, args));
        expect(e.code, `${tool} ${JSON.stringify(p)}`).toBe("bad_request");
        expect(["path_escape", "nul_byte"]).toContain((e.details as { reason: string }).reason);
      }
    }
  });

  it("neither reads nor writes through a symlink to a file outside", async () => {
    const { ws, outside, call } = await workspace();
    const secret = path.join(outside, "secret.txt");
    await writeFile(secret, "top secret");
    await symlink(secret, path.join(ws, "link.txt"));
    await symlink("/etc/passwd", path.join(ws, "passwd"));
    expect(errorOf(await call("read_file", { path: "link.txt" })).details).toMatchObject({ reason: "path_escape" });
    expect(errorOf(await call("read_file", { path: "passwd" })).details).toMatchObject({ reason: "path_escape" });
    expect(errorOf(await call("write_file", { path: "link.txt", content: "pwned" })).details).toMatchObject({ reason: "path_escape" });
    expect(errorOf(await call("edit_file", { path: "link.txt", old_string: "top", new_string: "no" })).details).toMatchObject({
      reason: "path_escape",
    });
    expect(await readFile(secret, "utf8")).toBe("top secret");
  });

  it("neither reads nor writes through a symlinked directory leading outside", async () => {
    const { ws, outside, call } = await workspace();
    await writeFile(path.join(outside, "secret.txt"), "top secret");
    await symlink(outside, path.join(ws, "out"));
    expect(errorOf(await call("read_file", { path: "out/secret.txt" })).details).toMatchObject({ reason: "path_escape" });
    expect(errorOf(await call("write_file", { path: "out/new.txt", content: "x" })).details).toMatchObject({ reason: "path_escape" });
    expect(errorOf(await call("write_file", { path: "out/sub/new.txt", content: "x" })).details).toMatchObject({ reason: "path_escape" });
    expect(await readdir(outside)).toEqual(["secret.txt"]);
  });

  it("does not create the target of a dangling symlink", async () => {
    const { ws, outside, call } = await workspace();
    await symlink(path.join(outside, "created"), path.join(ws, "dangling"));
    expect(errorOf(await call("write_file", { path: "dangling", content: "x" })).details).toMatchObject({ reason: "dangling_symlink" });
    expect(await readdir(outside)).toEqual([]);
  });
});
