import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CairnError, type Attachment, type AttachmentRef } from "../../schemas/index.ts";
import { classifyFile, imageMimeOf, type FileType } from "./attachment.sniff.ts";

/** A stored file: its hash, what it is and how big. */
export type StoredFile = FileType & { readonly sha256: string; readonly size: number };

/** A file on disk as the garbage collector sees it: its hash, size and last upload time. */
export type StoredEntry = { readonly sha256: string; readonly size: number; readonly uploadedAt: number };

/** Where a gateway keeps attachments: `<data dir>/attachments`. */
export const attachmentsDir = (dataDir: string): string => join(dataDir, "attachments");

const HASH = /^[0-9a-f]{64}$/;

/**
 * Files users attach, content-addressed: `<dir>/<first two hex>/<sha256>`, 0600 in 0700 dirs (a
 * chat's images are as private as its text). Only files `classifyFile` accepts are stored, so a
 * stored file's kind can be read back from its first bytes. Writes go to a temporary name and are
 * renamed into place: a reader never sees half a file, and two uploads of the same bytes agree.
 */
export class AttachmentStore {
  constructor(readonly dir: string) {}

  private pathOf(sha256: string): string {
    if (!HASH.test(sha256)) throw new CairnError("bad_request", "an attachment is named by its lower-case hex SHA-256");
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Stores `bytes` (refusing what `classifyFile` refuses) and says what they are. Idempotent. */
  async put(bytes: Uint8Array): Promise<StoredFile> {
    const type = classifyFile(bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const path = this.pathOf(sha256);
    const sub = join(this.dir, sha256.slice(0, 2));
    await mkdir(sub, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const had = await stat(path).catch(() => null);
    if (had && had.size === bytes.length) {
      // Uploaded again: the garbage collector's grace period counts from now (the file may be
      // unreferenced since its chat was deleted, and about to be sent again).
      const now = new Date();
      await utimes(path, now, now);
    } else {
      const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, path).catch(async (e) => {
        await unlink(tmp).catch(() => {});
        throw e;
      });
    }
    return { ...type, sha256, size: bytes.length };
  }

  /** What a stored file is, or `attachment_not_found`. Reads only its first bytes. */
  async describe(sha256: string): Promise<StoredFile> {
    const path = this.pathOf(sha256);
    const handle = await open(path, "r").catch(() => {
      throw new CairnError("attachment_not_found", `no attachment ${sha256.slice(0, 12)}… is stored here; upload it first`, { sha256 });
    });
    try {
      const head = new Uint8Array(16);
      await handle.read(head, 0, 16, 0);
      const { size } = await handle.stat();
      const mime = imageMimeOf(head);
      return mime ? { kind: "image", mime, sha256, size } : { kind: "text", mime: "text/plain", sha256, size };
    } finally {
      await handle.close();
    }
  }

  /** The bytes of a stored file, or `attachment_not_found`. */
  async read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256)).catch(() => {
      throw new CairnError("attachment_not_found", `attachment ${sha256.slice(0, 12)}… is missing from the store`, { sha256 });
    });
  }

  /** Every stored file (temporary files of uploads in progress are not listed). */
  async entries(): Promise<StoredEntry[]> {
    const subs = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [];
      throw e;
    });
    const out: StoredEntry[] = [];
    for (const sub of subs) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of await readdir(join(this.dir, sub))) {
        if (!HASH.test(name) || !name.startsWith(sub)) continue;
        const st = await stat(join(this.dir, sub, name)).catch(() => null);
        if (st?.isFile()) out.push({ sha256: name, size: st.size, uploadedAt: st.mtimeMs });
      }
    }
    return out;
  }

  /** Deletes a stored file; false when it was not there. */
  async remove(sha256: string): Promise<boolean> {
    return unlink(this.pathOf(sha256)).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return false;
        throw e;
      },
    );
  }

  /** A client's references as a message carries them: each checked to be stored, with its type. */
  async resolve(refs: readonly AttachmentRef[]): Promise<Attachment[]> {
    return Promise.all(
      refs.map(async (r) => {
        const f = await this.describe(r.sha256);
        return { sha256: f.sha256, name: r.name, mime: f.mime, size: f.size, kind: f.kind };
      }),
    );
  }
}
