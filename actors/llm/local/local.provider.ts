// Over 300 lines: loading, the loaded-model cache and streaming share one lifecycle (a model
// evicted mid-stream must not be disposed); generation and load errors already live apart.
import { totalmem } from "node:os";
import { basename } from "node:path";
import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { CairnError, type WireError } from "../../../schemas/index.ts";
import type { LlmProvider, StreamChunk, StreamRequest } from "../provider.ts";
import { defaultThreads, nodeLlamaCpp, sharedLlama, withLlamaLogs } from "./llama.runtime.ts";
import { classifyLoadError, preflight } from "./load.errors.ts";
import { generate } from "./local.generate.ts";
import { LOCAL_SUPPORTS_TOOLS } from "./local.models.ts";
import type { Loaded, SamplingOptions } from "./local.types.ts";
import { abortError, Mutex, raceAbort } from "./sync.ts";

/**
 * A GGUF model run in-process by node-llama-cpp, behind the same `LlmProvider` port as the cloud
 * providers. The model loads once, lazily (first `stream`/`embed`, or `load()`), and stays loaded
 * for every run until `unload()`. One context sequence serves all requests in turn (a FIFO lock):
 * on a CPU, parallel sequences would only split the same cores.
 */

export interface LoadProgress {
  phase: "loading" | "ready";
  /** 0…1; 1 exactly when `phase` is "ready". */
  progress: number;
}

export interface LocalProviderOptions {
  modelPath: string;
  /** Default "local". */
  id?: string;
  /** CPU threads for evaluation. Default: physical cores minus one, at least 1 (`defaultThreads`). */
  threads?: number;
  /** Layers offloaded to a GPU. Default 0: CPU only (and no GPU backend is even probed). */
  gpuLayers?: number;
  /** Tokens. Default: the model's training context, at most 8192 (and what fits in memory). */
  contextSize?: number;
  sampling?: SamplingOptions;
  onProgress?: (p: LoadProgress) => void;
  /** For the memory check; default `os.totalmem()` (injected by tests). */
  totalMemoryBytes?: number;
}

export type { SamplingOptions };

export type LocalModelState = "unloaded" | "loading" | "ready" | "failed";

export interface LocalModelInfo {
  id: string;
  modelPath: string;
  fileName: string;
  state: LocalModelState;
  /** Load progress 0…1 (1 once ready). */
  progress: number;
  /** Why the last load failed (`model_load_failed`), while `state` is "failed". */
  error: WireError | null;
  /** Threads the context evaluates with (the configured or default count until loaded). */
  threads: number;
  gpuLayers: number;
  /** The compute backend once loaded ("cuda", "vulkan", "metal", or false for CPU only). */
  gpu: string | false | null;
  supportsTools: boolean;
  /** Known once loaded: */
  sizeBytes: number | null;
  architecture: string | null;
  contextSize: number | null;
  trainContextSize: number | null;
  embeddingLength: number | null;
  /** The node-llama-cpp chat wrapper in use, e.g. "ChatML", "Llama3_1", "Jinja". */
  chatWrapper: string | null;
  /** Whether the GGUF carries its own chat template (`tokenizer.chat_template`). */
  hasChatTemplate: boolean | null;
  loadMs: number | null;
  /** Requests streaming or waiting for the model. */
  activeRequests: number;
}

export interface LocalProvider extends LlmProvider {
  /** Loads the model (once; concurrent calls share the load). Throws `model_load_failed`. */
  load(): Promise<void>;
  /** Interrupts active streams (`run_interrupted`) and frees the model; a later call reloads it. */
  unload(): Promise<void>;
  info(): LocalModelInfo;
  /** One vector per text, each of the model's embedding length. */
  embed(texts: readonly string[]): Promise<number[][]>;
}

const DEFAULT_CONTEXT_MAX = 8192;
const DEFAULT_SAMPLING: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
// Loads of different models never overlap: llama.cpp's log (our only source for failure
// reasons) would interleave, and two multi-GB loads at once can exhaust memory that either
// alone would fit in.
const loadLock = new Mutex();

export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  const id = opts.id ?? "local";
  const modelPath = opts.modelPath;
  const gpuLayers = opts.gpuLayers ?? 0;
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new CairnError("bad_request", `threads must be a positive integer, got ${threads}`);
  const sampling = { ...DEFAULT_SAMPLING, ...opts.sampling };
  const lock = new Mutex();
  const active = new Set<AbortController>();

  let state: LocalModelState = "unloaded";
  let progress = 0;
  let lastError: CairnError | null = null;
  let loaded: Loaded | null = null;
  let loading: Promise<Loaded> | null = null;

  const report = (p: LoadProgress) => {
    progress = p.progress;
    try {
      opts.onProgress?.(p);
    } catch {
      // a broken progress listener must not break the load
    }
  };

  async function doLoad(): Promise<Loaded> {
    const started = Date.now();
    report({ phase: "loading", progress: 0 });
    // With layers offloaded, the weights live in VRAM: the RAM check would refuse models that fit.
    const sizeBytes = await preflight(modelPath, gpuLayers > 0 ? Infinity : (opts.totalMemoryBytes ?? totalmem()));
    const release = await loadLock.acquire();
    let model: LlamaModel | undefined;
    try {
      const out = await withLlamaLogs(async () => {
        const { resolveChatWrapper, GeneralChatWrapper, LlamaChat } = await nodeLlamaCpp();
        const llama = await sharedLlama(gpuLayers > 0 ? "gpu" : "cpu");
        model = await llama.loadModel({
          modelPath,
          gpuLayers,
          // Model loading is ~95 % of the work; context creation is the last step.
          onLoadProgress: (p) => report({ phase: "loading", progress: Math.min(0.95, p * 0.95) }),
        });
        const context = await model.createContext({
          threads,
          sequences: 1,
          contextSize: opts.contextSize ?? { max: Math.min(DEFAULT_CONTEXT_MAX, model.trainContextSize || DEFAULT_CONTEXT_MAX) },
        });
        let chatWrapper: ChatWrapper;
        try {
          // From the GGUF's chat template (recognised as a known format, else rendered as Jinja),
          // else from its name and architecture; never null when given a model.
          chatWrapper = resolveChatWrapper(model, { warningLogs: false });
        } catch {
          chatWrapper = new GeneralChatWrapper();
        }
        const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper, autoDisposeSequence: true });
        return { model, context, chat, chatWrapper, embedding: null, sizeBytes, loadMs: Date.now() - started } satisfies Loaded;
      });
      if (out.error !== undefined || !out.result) {
        await model?.dispose().catch(() => {});
        throw classifyLoadError(modelPath, out.error ?? new Error("load produced nothing"), out.logs);
      }
      return out.result;
    } finally {
      release();
    }
  }

  function ensureLoaded(): Promise<Loaded> {
    if (loaded) return Promise.resolve(loaded);
    if (!loading) {
      state = "loading";
      lastError = null;
      const p = doLoad().then(
        (l) => {
          if (loading === p) {
            loaded = l;
            loading = null;
            state = "ready";
            report({ phase: "ready", progress: 1 });
          }
          return l;
        },
        (e: unknown) => {
          const err = e instanceof CairnError ? e : classifyLoadError(modelPath, e, []);
          if (loading === p) {
            loading = null;
            state = "failed";
            lastError = err;
            progress = 0;
          }
          throw err;
        },
      );
      loading = p;
    }
    return loading;
  }

  async function* stream(req: StreamRequest): AsyncGenerator<StreamChunk> {
    const signal = req.signal;
    if (signal?.aborted) throw abortError(signal);
    const inner = new AbortController();
    const onAbort = () => inner.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    active.add(inner);
    let release: (() => void) | undefined;
    let settled: Promise<unknown> = Promise.resolve();
    try {
      release = await lock.acquire(inner.signal);
      const l = await raceAbort(ensureLoaded(), inner.signal);
      const run = generate(l, req, { signal: inner.signal, sampling });
      settled = run.settled;
      yield* run.chunks;
    } catch (e) {
      if (inner.signal.aborted) throw signal?.aborted ? abortError(signal) : abortError(inner.signal);
      if (e instanceof CairnError) throw e;
      // e.g. a chat template (Jinja) that rejects this conversation's shape
      const msg = e instanceof Error ? e.message : String(e);
      throw new CairnError("provider_error", `the local model ${basename(modelPath)} failed: ${msg}`);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      active.delete(inner);
      // Stopping takes at most one token's evaluation; the caller does not wait for it, the
      // next request does (the lock is released only once the sequence is idle again).
      inner.abort(new CairnError("run_interrupted", "the stream was closed"));
      const r = release;
      void settled.then(
        () => r?.(),
        () => r?.(),
      );
    }
  }

  async function embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const release = await lock.acquire();
    try {
      const l = await ensureLoaded();
      l.embedding ??= await l.model.createEmbeddingContext({
        threads,
        contextSize: Math.min(l.context.contextSize, 4096),
      });
      const out: number[][] = [];
      for (const text of texts) {
        try {
          out.push(Array.from((await l.embedding.getEmbeddingFor(text)).vector));
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/longer than the (usable )?context size/i.test(msg)) {
            throw new CairnError("context_too_long", `text to embed is too long for ${basename(modelPath)}: ${msg}`);
          }
          throw new CairnError("provider_error", `local embedding failed (${basename(modelPath)}): ${msg}`);
        }
      }
      return out;
    } finally {
      release();
    }
  }

  async function unload(): Promise<void> {
    const why = new CairnError("run_interrupted", `the local model ${basename(modelPath)} was unloaded`);
    for (const c of active) c.abort(why);
    const release = await lock.acquire();
    try {
      const l = loaded ?? (loading ? await loading.catch(() => null) : null);
      loaded = null;
      loading = null;
      state = "unloaded";
      progress = 0;
      if (l) {
        await l.embedding?.dispose().catch(() => {});
        await l.chat.dispose({ disposeSequence: true });
        await l.context.dispose().catch(() => {});
        await l.model.dispose().catch(() => {});
      }
    } finally {
      release();
    }
  }

  function info(): LocalModelInfo {
    const l = loaded;
    const metaTemplate = l?.model.fileInfo.metadata?.tokenizer?.chat_template;
    return {
      id,
      modelPath,
      fileName: basename(modelPath),
      state,
      progress,
      error: state === "failed" && lastError ? lastError.toWire() : null,
      threads: l ? l.context.idealThreads : threads,
      gpuLayers: l ? l.model.gpuLayers : gpuLayers,
      gpu: l ? l.model.llama.gpu : null,
      supportsTools: LOCAL_SUPPORTS_TOOLS,
      sizeBytes: l?.sizeBytes ?? null,
      architecture: l ? String(l.model.fileInfo.metadata?.general?.architecture ?? "") || null : null,
      contextSize: l?.context.contextSize ?? null,
      trainContextSize: l?.model.trainContextSize ?? null,
      embeddingLength: l?.model.embeddingVectorSize ?? null,
      chatWrapper: l?.chatWrapper.wrapperName ?? null,
      hasChatTemplate: l ? typeof metaTemplate === "string" && metaTemplate.length > 0 : null,
      loadMs: l?.loadMs ?? null,
      activeRequests: lock.pending,
    };
  }

  return {
    id,
    stream,
    load: async () => {
      await ensureLoaded();
    },
    unload,
    info,
    embed,
  };
}
