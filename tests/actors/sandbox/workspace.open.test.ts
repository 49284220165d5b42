import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createFileAt,
  openDirAt,
  openDirPath,
  openFileAt,
  openFileRelative,
  openParent,
  openRoot,
  replaceFileAt,
  splitRelative,
  unlinkAt,
} from "../../../actors/sandbox/index.ts";
import { isCairnError } from "../../../schemas/index.ts";

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
/** A workspace and a sibling "host" directory holding a canary a planted symlink points at. */
const setup = () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-wsopen-"));
  made.push(top);
  const ws = path.join(top, "ws");
  const host = path.join(top, "host");
  fs.mkdirSync(ws);
  fs.mkdirSync(host);
  fs.writeFileSync(path.join(host, "secret"), "host secret");
  return { ws, host };
};
const reason = async (p: Promise<unknown>): Promise<string | undefined> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e === undefined) return undefined;
  if (!isCairnError(e)) throw e;
  return (e.details as { reason?: string } | undefined)?.reason ?? e.code;
};

describe("opening relative to a directory handle through /proc/self/fd (no openat in Node)", () => {
  it("refuses what a component walk must never see", () => {
    for (const bad of ["/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/.", "a\0b"]) {
      expect(() => splitRelative(bad), bad).toThrow();
    }
    expect(splitRelative("a/b c/..d")).toEqual(["a", "b c", "..d"]);
    expect(splitRelative("")).toEqual([]);
  });

  it("refuses a symlinked directory or file anywhere on the path, and creates nothing through it", async () => {
    const { ws, host } = setup();
    fs.symlinkSync(host, path.join(ws, "out"));
    fs.mkdirSync(path.join(ws, "real"));
    fs.symlinkSync(path.join(host, "secret"), path.join(ws, "real", "leaf"));
    const root = await openRoot(ws);
    try {
      expect(await reason(openDirPath(root, "out"))).toBe("path_escape");
      expect(await reason(openDirPath(root, "out/new/deeper", true))).toBe("path_escape");
      expect(await reason(openFileRelative(root, "out/secret"))).toBe("path_escape");
      expect(await reason(openFileRelative(root, "real/leaf"))).toBe("symlink");
      expect(fs.readdirSync(host)).toEqual(["secret"]);
    } finally {
      await root.close();
    }
  });

  it("a held directory stays the one opened: renamed away and replaced by a symlink, a create still lands inside", async () => {
    const { ws, host } = setup();
    fs.mkdirSync(path.join(ws, "d"));
    const root = await openRoot(ws);
    const d = await openDirAt(root, "d", "d");
    try {
      // What a racing command does between the check and the use.
      fs.renameSync(path.join(ws, "d"), path.join(ws, "moved"));
      fs.symlinkSync(host, path.join(ws, "d"));
      const fh = await createFileAt(d, "x");
      await fh.writeFile("inside");
      await fh.close();
      expect(fs.readFileSync(path.join(ws, "moved", "x"), "utf8")).toBe("inside");
      expect(fs.readdirSync(host)).toEqual(["secret"]);
      // And by name, through the root handle, the planted link is refused.
      expect(await reason(openDirPath(root, "d"))).toBe("path_escape");
    } finally {
      await d.close();
      await root.close();
    }
  });

  it("replaces a symlink at the destination instead of writing through it; the rename stays in the held directory", async () => {
    const { ws, host } = setup();
    fs.symlinkSync(path.join(host, "secret"), path.join(ws, "f"));
    const root = await openRoot(ws);
    try {
      const p = await openParent(root, "f");
      expect(await replaceFileAt(p.dir, p.name, "f", "new")).toEqual({ created: false });
      await p.close();
      expect(fs.lstatSync(path.join(ws, "f")).isFile()).toBe(true);
      expect(fs.readFileSync(path.join(ws, "f"), "utf8")).toBe("new");
      expect(fs.readFileSync(path.join(host, "secret"), "utf8")).toBe("host secret");
      expect(fs.readdirSync(ws)).toEqual(["f"]); // no temporary file left behind
    } finally {
      await root.close();
    }
  });

  it("keeps an existing file's mode and creates missing directories without following links", async () => {
    const { ws } = setup();
    fs.writeFileSync(path.join(ws, "run.sh"), "old", { mode: 0o750 });
    const root = await openRoot(ws);
    try {
      let p = await openParent(root, "run.sh");
      await replaceFileAt(p.dir, p.name, "run.sh", "new");
      await p.close();
      expect(fs.statSync(path.join(ws, "run.sh")).mode & 0o777).toBe(0o750);
      p = await openParent(root, "a/b/c.txt", true);
      expect(await replaceFileAt(p.dir, p.name, "a/b/c.txt", "c")).toEqual({ created: true });
      await p.close();
      expect(fs.readFileSync(path.join(ws, "a/b/c.txt"), "utf8")).toBe("c");
    } finally {
      await root.close();
    }
  });

  it("never creates over an existing name, and unlinks a symlink itself, not its target", async () => {
    const { ws, host } = setup();
    fs.symlinkSync(path.join(host, "secret"), path.join(ws, "l"));
    const root = await openRoot(ws);
    try {
      await expect(createFileAt(root, "l")).rejects.toMatchObject({ code: "EEXIST" });
      await unlinkAt(root, "l");
      expect(fs.existsSync(path.join(ws, "l"))).toBe(false);
      expect(fs.readFileSync(path.join(host, "secret"), "utf8")).toBe("host secret");
    } finally {
      await root.close();
    }
  });

  it("a FIFO planted where a file was expected is refused without blocking the gateway", async () => {
    const { ws } = setup();
    execFileSync("mkfifo", [path.join(ws, "pipe")]);
    const root = await openRoot(ws);
    try {
      expect(await reason(openFileAt(root, "pipe", "pipe"))).toBe("not_a_file");
    } finally {
      await root.close();
    }
  });
});
