import { mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveInWorkspace } from "../../../actors/tools/index.ts";
import { isCairnError } from "../../../schemas/errors.ts";
import { useWorkspace } from "./tools.helpers.ts";

const refused = async (ws: string, p: string, reason: string) => {
  const e = await resolveInWorkspace(ws, p).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isCairnError(e), `expected ${JSON.stringify(p)} to be refused`).toBe(true);
  if (isCairnError(e)) {
    expect(e.code).toBe("bad_request");
    expect(e.details).toMatchObject({ reason });
  }
};

describe("resolveInWorkspace", () => {
  const workspace = useWorkspace();

  it("resolves relative and inside-absolute paths, existing or not", async () => {
    const { ws } = await workspace();
    const root = await realpath(ws);
    await mkdir(path.join(ws, "src"));
    expect(await resolveInWorkspace(ws, "src/a.ts")).toEqual({ real: path.join(root, "src/a.ts"), root, display: "src/a.ts" });
    expect((await resolveInWorkspace(ws, path.join(ws, "src"))).display).toBe("src");
    expect((await resolveInWorkspace(ws, "new/deep/file.txt")).display).toBe("new/deep/file.txt");
    expect((await resolveInWorkspace(ws, "src/../b.txt")).display).toBe("b.txt");
    expect((await resolveInWorkspace(ws, ".")).display).toBe(".");
    expect((await resolveInWorkspace(ws, "..foo")).display).toBe("..foo");
  });

  it("refuses lexical escapes", async () => {
    const { ws } = await workspace();
    await refused(ws, "../x", "path_escape");
    await refused(ws, "a/../../x", "path_escape");
    await refused(ws, "/etc/passwd", "path_escape");
    await refused(ws, "..", "path_escape");
    await refused(ws, `${ws}-sibling/x`, "path_escape");
  });

  it("refuses NUL bytes", async () => {
    const { ws } = await workspace();
    await refused(ws, "a\0b", "nul_byte");
  });

  it("refuses symlinks leading out, for files, directories and paths below them", async () => {
    const { ws, outside } = await workspace();
    await writeFile(path.join(outside, "secret"), "s");
    await symlink(path.join(outside, "secret"), path.join(ws, "link"));
    await symlink(outside, path.join(ws, "dirlink"));
    await symlink("/etc", path.join(ws, "etc"));
    await refused(ws, "link", "path_escape");
    await refused(ws, "dirlink", "path_escape");
    await refused(ws, "dirlink/secret", "path_escape");
    await refused(ws, "dirlink/new/file", "path_escape");
    await refused(ws, "etc/passwd", "path_escape");
  });

  it("refuses a dangling symlink (writing through it would create its target)", async () => {
    const { ws, outside } = await workspace();
    await symlink(path.join(outside, "not-yet"), path.join(ws, "dangling"));
    await refused(ws, "dangling", "dangling_symlink");
    await refused(ws, "dangling/x", "dangling_symlink");
  });

  it("accepts symlinks that stay inside", async () => {
    const { ws } = await workspace();
    await mkdir(path.join(ws, "real"));
    await writeFile(path.join(ws, "real/f"), "x");
    await symlink(path.join(ws, "real"), path.join(ws, "alias"));
    expect((await resolveInWorkspace(ws, "alias/f")).display).toBe("real/f");
  });

  it("works when the workspace path itself goes through a symlink", async () => {
    const { ws, top } = await workspace();
    await symlink(ws, path.join(top, "ws-link"));
    const via = path.join(top, "ws-link");
    expect((await resolveInWorkspace(via, "a.txt")).display).toBe("a.txt");
    expect((await resolveInWorkspace(via, path.join(via, "a.txt"))).display).toBe("a.txt");
    expect((await resolveInWorkspace(via, path.join(ws, "a.txt"))).display).toBe("a.txt");
    await refused(via, "../ws/../outside/x", "path_escape");
  });
});
