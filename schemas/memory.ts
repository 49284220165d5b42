import * as Schema from "effect/Schema";
import { SearchText } from "./search.ts";

/** Memory files: `[memory]` in cairn.toml, the agent's memory tools, `q.memory.*` and `admin.memory.*`. */

/** `[[memory.embeddings]]`: one embedder of the fallback chain, tried in the order written. */
export const EmbedderConfig = Schema.Struct({
  /** "openai", "ollama" and "custom" speak OpenAI's `/v1/embeddings`; "local" runs a GGUF model in-process. */
  provider: Schema.Literals(["openai", "ollama", "custom", "local"]),
  model: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  base_url: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "an http(s) URL" }))),
  /** The variable holding the key (default OPENAI_API_KEY for "openai"; none for the others). */
  api_key_env: Schema.optionalKey(Schema.String),
  /** "local": the GGUF embedding model file. */
  model_path: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
});
export type EmbedderConfig = typeof EmbedderConfig.Type;

export const CitationMode = Schema.Literals(["auto", "on", "off"]);
export type CitationMode = typeof CitationMode.Type;

/** `[memory]`. */
export const MemoryConfig = Schema.Struct({
  /** Default true: MEMORY.md and memory/ under the data directory, plus `directories`. */
  enabled: Schema.optionalKey(Schema.Boolean),
  directories: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isMinLength(1)))),
  citations: Schema.optionalKey(CitationMode),
  session_export: Schema.optionalKey(Schema.Boolean),
  embeddings: Schema.optionalKey(Schema.Array(EmbedderConfig)),
});
export type MemoryConfig = typeof MemoryConfig.Type;

/** `memory_search` and `q.memory.search`. */
export const MemorySearchParams = Schema.Struct({
  query: SearchText.annotate({ description: "What to look for, in natural language or keywords." }),
  k: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 50 })).annotate({ description: "How many results (default 5)." }),
  ),
  path_prefix: Schema.optionalKey(
    Schema.String.check(Schema.isMaxLength(500)).annotate({
      description: "Only files whose path starts with this, e.g. 'memory/sessions/'.",
    }),
  ),
});
export type MemorySearchParams = typeof MemorySearchParams.Type;

export const MemoryHit = Schema.Struct({
  /** The file as the tools name it: `memory/notes.md`, `MEMORY.md`, or `~/notes/x.md`. */
  file: Schema.String,
  startLine: Schema.Number,
  endLine: Schema.Number,
  heading: Schema.String,
  text: Schema.String,
  /** Fused score (reciprocal rank fusion; higher is better). */
  score: Schema.Number,
  /** Which searches found it. */
  via: Schema.Array(Schema.Literals(["fts", "vector"])),
});
export type MemoryHit = typeof MemoryHit.Type;

export const MemorySearchResult = Schema.Struct({
  hits: Schema.Array(MemoryHit),
  /** "keyword": no embedder answered, so full-text search alone; `degraded` says why. */
  mode: Schema.Literals(["hybrid", "keyword"]),
  degraded: Schema.NullOr(Schema.String),
});
export type MemorySearchResult = typeof MemorySearchResult.Type;

export const MemoryStatus = Schema.Struct({
  enabled: Schema.Boolean,
  directories: Schema.Array(Schema.Struct({ path: Schema.String, watching: Schema.Boolean, error: Schema.NullOr(Schema.String) })),
  files: Schema.Number,
  chunks: Schema.Number,
  /** Chunks with a vector from the embedder in use. */
  vectors: Schema.Number,
  /**
   * Of those, how many vector search holds in memory: they load in the background after start
   * (`loading`), and until all are there vector search asks sqlite-vec (exact, slower).
   */
  vectorsInMemory: Schema.Struct({ loaded: Schema.Number, loading: Schema.Boolean }),
  embedders: Schema.Array(
    Schema.Struct({ name: Schema.String, state: Schema.Literals(["ok", "open", "untried"]), lastError: Schema.NullOr(Schema.String) }),
  ),
  mode: Schema.Literals(["hybrid", "keyword"]),
  cachedEmbeddings: Schema.Number,
});
export type MemoryStatus = typeof MemoryStatus.Type;

export const ReindexResult = Schema.Struct({ files: Schema.Number, chunks: Schema.Number, embedded: Schema.Number, ms: Schema.Number });
export type ReindexResult = typeof ReindexResult.Type;
/** Published on the reindex request's `progress` subject. */
export const ReindexProgress = Schema.Struct({ done: Schema.Number, total: Schema.Number });
