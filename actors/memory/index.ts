/**
 * Long-term memory: markdown files (MEMORY.md, memory/, `[memory] directories`) watched, chunked
 * by headings and indexed in SQLite (FTS5 + sqlite-vec), hybrid search fused by reciprocal rank,
 * embeddings down a fallback chain with a cache and circuit breakers; the agent's memory tools
 * and the `q.memory.*` services.
 */
export { chunkMarkdown, type Chunk, type ChunkOptions } from "./chunker.ts";
export { EmbedderChain, type EmbeddingCache, type Embedded } from "./embedder.chain.ts";
export { openAiCompatibleEmbedder, type Embedder } from "./embedder.ts";
export { localEmbedder } from "./embedder.local.ts";
export { openMemoryDb, MEMORY_SCHEMA_VERSION, type MemoryDb } from "./memory.db.ts";
export { MemoryIndex, RESCORE } from "./memory.index.ts";
export { LOAD_SLICE } from "./vector.spaces.ts";
export { VectorCodes } from "./vector.codes.ts";
export { MemoryManager, contentHash, type MemoryManagerOptions } from "./memory.manager.ts";
export { memoryRoots, type MemoryRoot } from "./memory.roots.ts";
export { memoryTools, formatSearch, citesSources } from "./memory.tools.ts";
export { serveMemory } from "./memory.service.ts";
export { setupMemory, type MemorySetup } from "./memory.setup.ts";
export { fuse, RRF_K } from "./rrf.ts";
export { exportSessions, transcriptMarkdown } from "./session.export.ts";
