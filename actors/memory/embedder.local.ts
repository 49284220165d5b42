import { defaultThreads, sharedLlama } from "../llm/index.ts";
import type { Embedder } from "./embedder.ts";

/**
 * A GGUF embedding model run in-process by node-llama-cpp (the shared CPU binding the local chat
 * provider uses; nothing is downloaded). Loaded on first use and kept; texts are embedded one by
 * one on one context, so calls are serialized here.
 */
export function localEmbedder(modelPath: string, opts: { threads?: number; contextSize?: number } = {}): Embedder {
  type Ctx = Awaited<ReturnType<Awaited<ReturnType<Awaited<ReturnType<typeof sharedLlama>>["loadModel"]>>["createEmbeddingContext"]>>;
  const contextSize = opts.contextSize ?? 1024;
  let loaded: Promise<{ ctx: Ctx; tokenize(t: string): ReturnType<Ctx["model"]["tokenize"]>; dispose(): Promise<void> }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const llama = await sharedLlama("cpu");
      const model = await llama.loadModel({ modelPath });
      const ctx = await model.createEmbeddingContext({ threads: opts.threads ?? defaultThreads(), contextSize });
      return {
        ctx,
        tokenize: (t: string) => model.tokenize(t),
        dispose: async () => {
          await ctx.dispose();
          await model.dispose();
        },
      };
    })().catch((e) => {
      loaded = undefined;
      throw e;
    }));
  let tail: Promise<unknown> = Promise.resolve();
  const name = modelPath.split("/").pop() ?? modelPath;
  return {
    id: `local/${name}`,
    embed(texts, signal) {
      const run = tail.then(async () => {
        const { ctx, tokenize } = await load();
        const out: Float32Array[] = [];
        for (const t of texts) {
          signal?.throwIfAborted();
          // A text longer than the context is embedded by its beginning (llama.cpp refuses more).
          out.push(Float32Array.from((await ctx.getEmbeddingFor(tokenize(t).slice(0, contextSize))).vector));
        }
        return out;
      });
      tail = run.catch(() => {});
      return run;
    },
    async close() {
      const l = await loaded?.catch(() => undefined);
      loaded = undefined;
      await l?.dispose();
    },
  };
}
