import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StreamChunk } from "../../../../actors/llm/provider.ts";
import { isCairnError, type CairnError } from "../../../../schemas/errors.ts";

/** A temp dir removed by the returned cleanup. */
export async function tempDir(prefix = "cairn-local-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function collectChunks(it: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** The CairnError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function cairnError(p: Promise<unknown>): Promise<CairnError> {
  try {
    await p;
  } catch (e) {
    if (isCairnError(e)) return e;
    throw new Error(`expected a CairnError, got ${String(e)}`);
  }
  throw new Error("expected a CairnError, but it resolved");
}

/** Tests run on 1 thread: vitest runs two files at once on this 2-core machine. */
export const TEST_THREADS = 1;
