import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AttachmentStore, attachmentsDir, classifyFile } from "../../../bus/attachments/index.ts";
import { CairnError, MAX_IMAGE_BYTES, MAX_TEXT_FILE_BYTES } from "../../../schemas/index.ts";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof CairnError ? e.code : String(e);
  }
  return "no error";
};

const dirs: string[] = [];
const store = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-att-"));
  dirs.push(d);
  return new AttachmentStore(attachmentsDir(d));
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("classifyFile", () => {
  it("knows the image formats vision APIs take by their bytes, whatever the name says", () => {
    expect(classifyFile(PNG)).toEqual({ kind: "image", mime: "image/png" });
    expect(classifyFile(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]))).toEqual({ kind: "image", mime: "image/jpeg" });
    expect(classifyFile(Buffer.from("GIF89a\x01\x00", "latin1"))).toEqual({ kind: "image", mime: "image/gif" });
    expect(classifyFile(Buffer.from("RIFF\x10\x00\x00\x00WEBPVP8 ", "latin1"))).toEqual({ kind: "image", mime: "image/webp" });
  });

  it("takes UTF-8 text (any language) as a text file", () => {
    expect(classifyFile(Buffer.from("# notes\nCafé, 日本語 ✓\n"))).toEqual({ kind: "text", mime: "text/plain" });
  });

  it("refuses binaries and other image formats with attachment_unsupported", () => {
    expect(codeOf(() => classifyFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1])))).toBe("attachment_unsupported"); // ELF
    expect(codeOf(() => classifyFile(Buffer.from([0xc3, 0x28])))).toBe("attachment_unsupported"); // invalid UTF-8
    expect(codeOf(() => classifyFile(Buffer.from("BM\x00\x00", "latin1")))).toBe("attachment_unsupported");
  });

  it("refuses files over the kind's limit with attachment_too_large", () => {
    const bigImage = Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)]);
    expect(codeOf(() => classifyFile(bigImage))).toBe("attachment_too_large");
    expect(codeOf(() => classifyFile(Buffer.alloc(MAX_TEXT_FILE_BYTES + 1, "a")))).toBe("attachment_too_large");
    expect(classifyFile(Buffer.alloc(MAX_TEXT_FILE_BYTES, "a")).kind).toBe("text");
  });
});

describe("AttachmentStore", () => {
  it("stores by SHA-256, privately, once per content", async () => {
    const s = store();
    const a = await s.put(PNG);
    expect(a).toEqual({ kind: "image", mime: "image/png", sha256: sha(PNG), size: PNG.length });
    expect(await s.put(PNG)).toEqual(a);
    const path = join(s.dir, a.sha256.slice(0, 2), a.sha256);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(s.dir, a.sha256.slice(0, 2))).mode & 0o777).toBe(0o700);
    // No temporary files left behind.
    expect(readdirSync(join(s.dir, a.sha256.slice(0, 2)))).toEqual([a.sha256]);
    expect(Buffer.compare(await s.read(a.sha256), PNG)).toBe(0);
  });

  it("describes a stored file from its bytes, and resolves a message's references", async () => {
    const s = store();
    const text = Buffer.from("hello\n");
    const t = await s.put(text);
    expect(await s.describe(t.sha256)).toEqual({ kind: "text", mime: "text/plain", sha256: sha(text), size: 6 });
    const p = await s.put(PNG);
    expect(
      await s.resolve([
        { sha256: p.sha256, name: "dot.png" },
        { sha256: t.sha256, name: "a.txt" },
      ]),
    ).toEqual([
      { sha256: p.sha256, name: "dot.png", mime: "image/png", size: PNG.length, kind: "image" },
      { sha256: t.sha256, name: "a.txt", mime: "text/plain", size: 6, kind: "text" },
    ]);
  });

  it("answers attachment_not_found for a hash it does not hold, bad_request for one that is not a hash", async () => {
    const s = store();
    await expect(s.describe("0".repeat(64))).rejects.toMatchObject({ code: "attachment_not_found" });
    await expect(s.read("0".repeat(64))).rejects.toMatchObject({ code: "attachment_not_found" });
    await expect(s.read("../../etc/passwd")).rejects.toMatchObject({ code: "bad_request" });
  });

  it("stores nothing it refuses", async () => {
    const s = store();
    await expect(s.put(Buffer.from([0, 1, 2]))).rejects.toMatchObject({ code: "attachment_unsupported" });
    expect(() => readdirSync(s.dir)).toThrow();
  });
});
