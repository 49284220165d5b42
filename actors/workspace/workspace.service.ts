import type { NatsConnection } from "@nats-io/transport-node";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { openWorkspaceFile, resolveInWorkspace, utf8Cut } from "../tools/index.ts";
import { serve, subjects } from "../../bus/index.ts";
import { CairnError, ReadWorkspaceFile, decodeOrFail, type ReadWorkspaceFileResult } from "../../schemas/index.ts";

/** What `workspace.read` returns at most: enough for any full tool output a person reads in a page. */
export const MAX_WORKSPACE_READ_BYTES = 2 * 1024 * 1024;

/** Room a reply needs besides the text: the envelope, the path, the sizes. */
const ENVELOPE_BYTES = 8 * 1024;

/**
 * The reply must also fit one NATS message (the server's `max_payload`, 1 MiB by default), or
 * it is never sent and the caller only sees a timeout. JSON escaping can make the text larger
 * than its bytes, so it is measured encoded and cut (at a character boundary) until it fits.
 */
const fitted = (text: string, maxPayload: number): string => {
  const limit = maxPayload - ENVELOPE_BYTES;
  let bytes = Buffer.from(text);
  for (let encoded = Buffer.byteLength(JSON.stringify(text)); encoded > limit; ) {
    bytes = bytes.subarray(0, Math.floor((bytes.length * limit) / encoded));
    text = utf8Cut(bytes);
    encoded = Buffer.byteLength(JSON.stringify(text));
  }
  return text;
};

/**
 * `q.workspace.read`: a file of a session's workspace (the full output of a cut exec result), with
 * the same confinement as the file tools (no `..`, no symlink out). Text only, capped (at
 * `MAX_WORKSPACE_READ_BYTES` and at what one bus message carries).
 */
export const serveWorkspaceFiles = (nc: NatsConnection, workspaceRoot: string) => [
  serve(nc, subjects.query("workspace", "read"), async (p): Promise<ReadWorkspaceFileResult> => {
    const params = decodeOrFail(ReadWorkspaceFile, p, "workspace.read params");
    const where = await resolveInWorkspace(path.join(workspaceRoot, params.sessionKey), params.path).catch((e) => {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new CairnError("not_found", `no workspace for session ${params.sessionKey}`);
      throw e;
    });
    // Opened from a handle on the workspace root, no symlink followed: a command cannot swap in
    // a link to a host file between the check above and this read (actors/sandbox/workspace.open.ts).
    let fh: FileHandle;
    try {
      fh = await openWorkspaceFile(where);
    } catch (e) {
      const reason = (e as CairnError).details as { reason?: string } | undefined;
      if (reason?.reason === "not_found") throw new CairnError("not_found", `cannot read ${where.display}: ENOENT`);
      throw e;
    }
    try {
      const st = await fh.stat();
      const size = Math.min(st.size, MAX_WORKSPACE_READ_BYTES);
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      const read = utf8Cut(buf.subarray(0, bytesRead));
      const text = fitted(read, nc.info?.max_payload ?? 1024 * 1024);
      return { path: where.display, text, bytes: st.size, truncated: st.size > bytesRead || text.length < read.length };
    } finally {
      await fh.close();
    }
  }),
];
