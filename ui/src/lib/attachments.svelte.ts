import type { Attachment } from "./wire.ts";

/**
 * Files picked, pasted or dropped into the composer, uploaded at once (`POST /api/attachments`,
 * the raw bytes) so Send only names them by hash. The gateway judges each file by its bytes and
 * answers a typed error (too large, unsupported) that shows on the file's chip.
 */

/** Mirrors the gateway's limits (schemas/attachments.ts) so an obvious refusal needs no upload. */
export const MAX_FILES = 8;
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export type PendingFile = {
  id: number;
  name: string;
  /** An object URL for an image's thumbnail while it is here; null for other files. */
  preview: string | null;
  state: "uploading" | "ready" | "failed";
  error: string | null;
  attachment: Attachment | null;
};

type Uploaded = { sha256: string; mime: string; size: number; kind: "image" | "text" };

/** A pasted screenshot has no name ("image.png" at best): give it one a person can tell apart. */
const nameOf = (f: File, n: number) => (f.name && f.name !== "image.png" ? f.name : `pasted-${n}.${f.type.split("/")[1] ?? "png"}`);

export class PendingFiles {
  items: PendingFile[] = $state([]);
  #next = 1;

  constructor(private readonly upload: (f: File) => Promise<Uploaded> = uploadFile) {}

  get uploading(): boolean {
    return this.items.some((i) => i.state === "uploading");
  }

  /** The files ready to send (failed ones stay on show until removed, and are not sent). */
  get ready(): Attachment[] {
    return this.items.flatMap((i) => (i.state === "ready" && i.attachment ? [i.attachment] : []));
  }

  add(files: Iterable<File>): void {
    for (const f of files) {
      const id = this.#next++;
      const name = nameOf(f, id);
      const preview = f.type.startsWith("image/") ? URL.createObjectURL(f) : null;
      const item: PendingFile = { id, name, preview, state: "uploading", error: null, attachment: null };
      this.items.push(item);
      if (this.items.length > MAX_FILES) {
        this.#fail(id, `at most ${MAX_FILES} files per message`);
        continue;
      }
      if (f.size > MAX_UPLOAD_BYTES) {
        this.#fail(id, `over ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB`);
        continue;
      }
      this.upload(f).then(
        (u) => this.#update(id, { state: "ready", attachment: { sha256: u.sha256, name, mime: u.mime, size: u.size, kind: u.kind } }),
        (e: unknown) => this.#fail(id, e instanceof Error ? e.message : String(e)),
      );
    }
  }

  /** Puts files already uploaded back (a queued message taken back into the box). */
  restore(attachments: readonly Attachment[]): void {
    for (const a of attachments) {
      const preview = a.kind === "image" ? attachmentUrl(a.sha256) : null;
      this.items.push({ id: this.#next++, name: a.name, preview, state: "ready", error: null, attachment: a });
    }
  }

  remove(id: number): void {
    revoke(this.items.find((x) => x.id === id));
    this.items = this.items.filter((x) => x.id !== id);
  }

  clear(): void {
    for (const i of this.items) revoke(i);
    this.items = [];
  }

  #update(id: number, patch: Partial<PendingFile>): void {
    this.items = this.items.map((x) => (x.id === id ? { ...x, ...patch } : x));
  }

  #fail(id: number, error: string): void {
    this.#update(id, { state: "failed", error });
  }
}

/** Frees a local thumbnail (a restored file's is the gateway's URL: nothing to free). */
const revoke = (i: PendingFile | undefined) => {
  if (i?.preview?.startsWith("blob:")) URL.revokeObjectURL(i.preview);
};

/** Uploads one file's bytes; rejects with the gateway's message. */
async function uploadFile(f: File): Promise<Uploaded> {
  const res = await fetch("/api/attachments", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/octet-stream", Accept: "application/json" },
    body: f,
  });
  const json = (await res.json().catch(() => null)) as (Uploaded & { error?: { message?: string } }) | null;
  if (!res.ok || !json) throw new Error(json?.error?.message ?? `upload failed (${res.status})`);
  return json;
}

/** Where a stored attachment is served (thumbnails in the history, downloads). */
export const attachmentUrl = (sha256: string): string => `/api/attachments/${sha256}`;
