import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AttachmentStore,
  attachmentRefsOf,
  attachmentsDir,
  collectAttachments,
  planAttachmentGc,
  type LogRecord,
} from "../../../bus/index.ts";
import { CairnError } from "../../../schemas/index.ts";

const dirs: string[] = [];
const store = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-att-gc-"));
  dirs.push(d);
  return new AttachmentStore(attachmentsDir(d));
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const text = (s: string) => Buffer.from(`${s}\n`);
let seq = 0;
/** A decoded log record as the event log yields it (only what the fold reads is filled in). */
const rec = (type: string, session: string, data: unknown): LogRecord =>
  ({ ok: true, event: { seq: ++seq, type, kind: "session", aggregateId: session, data } }) as unknown as LogRecord;
async function* records(rs: LogRecord[]) {
  yield* rs;
}
const file = (sha256: string) => ({ sha256, name: "f", mime: "text/plain", size: 1, kind: "text" });

describe("attachment store: entries, remove, re-upload", () => {
  it("lists stored files with size and upload time, skips temporary files, removes one", async () => {
    const s = store();
    const a = await s.put(text("a"));
    const b = await s.put(text("bb"));
    // An upload in progress: a temporary name next to the files, never listed.
    writeFileSync(join(s.dir, a.sha256.slice(0, 2), `${a.sha256}.abc123.tmp`), "partial");
    const listed = (await s.entries()).map((e) => [e.sha256, e.size]).sort();
    expect(listed).toEqual(
      [
        [a.sha256, 2],
        [b.sha256, 3],
      ].sort(),
    );
    expect(await s.remove(a.sha256)).toBe(true);
    expect(await s.remove(a.sha256)).toBe(false);
    expect((await s.entries()).map((e) => e.sha256)).toEqual([b.sha256]);
  });

  it("an empty data dir has no files", async () => {
    expect(await store().entries()).toEqual([]);
  });

  it("uploading the same bytes again restarts the grace period", async () => {
    const s = store();
    const a = await s.put(text("again"));
    const path = join(s.dir, a.sha256.slice(0, 2), a.sha256);
    const old = (Date.now() - 3 * 86_400_000) / 1000;
    utimesSync(path, old, old);
    await s.put(text("again"));
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(60_000);
  });
});

describe("which files the log's live sessions name", () => {
  it("messages and forks name files; a deleted session's stop counting; a key used again counts anew", async () => {
    const refs = await attachmentRefsOf(
      records([
        rec("session.created", "s1", {}),
        rec("session.user_message", "s1", { attachments: [file("aa"), file("bb")] }),
        rec("session.user_message", "s2", { attachments: [file("cc")] }),
        rec("session.forked", "f1", { messages: [{ attachments: [file("bb")] }, { text: "no files" }] }),
        rec("session.deleted", "s1", {}),
        rec("session.deleted", "s2", {}),
        rec("session.user_message", "s2", { attachments: [file("dd")] }),
      ]),
    );
    expect(Object.fromEntries([...refs.live].map(([k, v]) => [k, [...v]]))).toEqual({ bb: ["f1"], dd: ["s2"] });
    expect(refs.undecodable).toBe(0);
  });

  it("plans: referenced and recent files are kept, the rest removed; undecodable events refuse the collection", async () => {
    const s = store();
    const used = await s.put(text("used"));
    const fresh = await s.put(text("fresh"));
    const stale = await s.put(text("stale"));
    const now = Date.now();
    const entries = (await s.entries()).map((e) => (e.sha256 === fresh.sha256 ? e : { ...e, uploadedAt: now - 2 * 3600_000 }));
    const refs = { live: new Map([[used.sha256, new Set(["s1"])]]), undecodable: 0 };
    const plan = planAttachmentGc(entries, refs, { now, graceMs: 3600_000 });
    expect(Object.fromEntries(plan.map((p) => [p.sha256, p.state]))).toEqual({
      [used.sha256]: "referenced",
      [fresh.sha256]: "recent",
      [stale.sha256]: "unreferenced",
    });

    const dry = await collectAttachments(s, plan, refs, true);
    expect(dry.removed.map((p) => p.sha256)).toEqual([stale.sha256]);
    expect((await s.entries()).length).toBe(3);

    const err = await collectAttachments(s, plan, { ...refs, undecodable: 1 }, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CairnError);
    expect((err as CairnError).code).toBe("attachments_gc_unsafe");
    expect((await s.entries()).length).toBe(3);

    const done = await collectAttachments(s, plan, refs, false);
    expect(done).toMatchObject({ bytes: stale.size, dryRun: false });
    expect((await s.entries()).map((e) => e.sha256).sort()).toEqual([used.sha256, fresh.sha256].sort());
  });
});
