import { join } from "node:path";
import type { CitationMode, MemoryConfig } from "../../schemas/index.ts";
import { EmbedderChain } from "./embedder.chain.ts";
import { openAiCompatibleEmbedder, type Embedder } from "./embedder.ts";
import { localEmbedder } from "./embedder.local.ts";
import { openMemoryDb } from "./memory.db.ts";
import { MemoryIndex } from "./memory.index.ts";
import { MemoryManager, contentHash } from "./memory.manager.ts";
import { expandHome, memoryRoots } from "./memory.roots.ts";

export interface MemorySetup {
  readonly manager: MemoryManager;
  readonly citations: CitationMode;
  readonly sessionExport: boolean;
  /** `<data dir>/memory`: where memory_save and session export write. */
  readonly memoryDir: string;
}

/**
 * Memory as `[memory]` describes it (on by default): the index in `<data dir>/memory.db`, the
 * embedder chain in the order written (an embedder that cannot even be built, e.g. OpenAI with no
 * key, is reported and left out). Not started: the caller starts it.
 */
export function setupMemory(
  config: MemoryConfig | undefined,
  o: { dataDir: string; env: NodeJS.ProcessEnv; report?: (line: string) => void; now?: () => number; embedders?: readonly Embedder[] },
): MemorySetup | undefined {
  if (config?.enabled === false) return undefined;
  const report = o.report ?? (() => {});
  const embedders: Embedder[] = [...(o.embedders ?? [])];
  for (const e of config?.embeddings ?? []) {
    try {
      if (e.provider === "local") {
        if (!e.model_path) throw new Error('provider "local" needs model_path');
        embedders.push(localEmbedder(expandHome(e.model_path)));
      } else embedders.push(openAiCompatibleEmbedder(e, o.env));
    } catch (err) {
      report(`memory: embedder ${e.provider} left out: ${(err as Error).message}`);
    }
  }
  const index = new MemoryIndex(openMemoryDb(join(o.dataDir, "memory.db")));
  const chain = new EmbedderChain(embedders, index.cache, contentHash, { report, ...(o.now ? { now: o.now } : {}) });
  const manager = new MemoryManager({
    index,
    roots: memoryRoots(o.dataDir, config?.directories),
    embedders: chain,
    report,
    ...(o.now ? { now: o.now } : {}),
  });
  return {
    manager,
    citations: config?.citations ?? "auto",
    sessionExport: config?.session_export ?? false,
    memoryDir: join(o.dataDir, "memory"),
  };
}
