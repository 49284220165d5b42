import { createInbox } from "@nats-io/transport-node";
import { request, subjects } from "../../bus/index.ts";
import { MemorySearchResult, MemoryStatus, ReindexProgress, ReindexResult, decodeLenient } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { progressBar, table } from "../output.ts";
import type { Paths } from "../paths.ts";

/** `cairn memory status|reindex|search`: the running gateway's memory index. */

const REINDEX_TIMEOUT_MS = 30 * 60_000;

export async function memoryStatus(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const raw = (await request(nc, subjects.query("memory", "status"), {})) as { enabled?: boolean };
    if (raw.enabled === false) {
      process.stdout.write(o.json ? `${JSON.stringify(raw)}\n` : "memory is off ([memory] enabled = false)\n");
      return 0;
    }
    const s = decodeLenient(MemoryStatus, raw, "memory status");
    if (o.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    const mode = s.mode === "hybrid" ? "hybrid (full-text + vectors)" : "keyword only (no embedder answered: full-text search alone)";
    const m = s.vectorsInMemory;
    const inMemory =
      s.vectors === 0 || m.loaded === s.vectors
        ? ""
        : m.loading
          ? `vectors in memory: ${m.loaded}/${s.vectors} (loading; vector search asks sqlite-vec until done)\n`
          : `vectors in memory: not loaded yet (the first vector search loads them)\n`;
    process.stdout.write(
      `search: ${mode}\nfiles: ${s.files}, chunks: ${s.chunks}, with vectors: ${s.vectors}, cached embeddings: ${s.cachedEmbeddings}\n${inMemory}`,
    );
    process.stdout.write(
      table([["DIRECTORY", "WATCHED", "PROBLEM"], ...s.directories.map((d) => [d.path, d.watching ? "yes" : "no", d.error ?? "-"])]),
    );
    if (s.embedders.length === 0) process.stdout.write("embedders: none configured ([[memory.embeddings]] in cairn.toml)\n");
    else
      process.stdout.write(
        table([
          ["EMBEDDER", "STATE", "LAST ERROR"],
          ...s.embedders.map((e) => [e.name, e.state === "open" ? "skipped (failing)" : e.state, e.lastError ?? "-"]),
        ]),
      );
    return 0;
  } finally {
    await nc.close();
  }
}

export async function memoryReindex(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  const bar = progressBar("reindexing memory");
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, {
    callback: (_e, m) => {
      const p = decodeLenient(ReindexProgress, m.json(), "reindex progress");
      if (!o.json) bar.update(p.done, p.total);
    },
  });
  try {
    const raw = await request(nc, subjects.admin("memory", "reindex"), { progress: inbox }, { timeoutMs: REINDEX_TIMEOUT_MS });
    const r = decodeLenient(ReindexResult, raw, "reindex reply");
    if (!o.json) bar.done();
    process.stdout.write(
      o.json
        ? `${JSON.stringify(r)}\n`
        : `indexed ${r.files} files, ${r.chunks} chunks; embedded ${r.embedded} in ${(r.ms / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } finally {
    sub.unsubscribe();
    await nc.close();
  }
}

export async function memorySearch(o: { query: string; limit?: number; json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const raw = await request(nc, subjects.query("memory", "search"), { query: o.query, ...(o.limit ? { k: o.limit } : {}) });
    const r = decodeLenient(MemorySearchResult, raw, "memory search reply");
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    if (r.degraded) process.stderr.write(`note: ${r.degraded}\n`);
    if (r.hits.length === 0) process.stdout.write(`nothing in memory matches '${o.query}'\n`);
    for (const h of r.hits) {
      process.stdout.write(`${h.file}#L${h.startLine}-L${h.endLine}  ${h.heading}  (score ${h.score.toFixed(4)}, ${h.via.join("+")})\n`);
      process.stdout.write(
        `${h.text
          .trim()
          .split("\n")
          .map((l) => `  ${l}`)
          .join("\n")}\n\n`,
      );
    }
    return 0;
  } finally {
    await nc.close();
  }
}
