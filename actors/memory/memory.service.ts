import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../../bus/index.ts";
import { CairnError, MemorySearchParams, decodeOrFail } from "../../schemas/index.ts";
import type { MemoryManager } from "./memory.manager.ts";

const ReindexParams = Schema.Struct({ progress: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^_INBOX\.[\w.]+$/))) });

/**
 * `q.memory.status`, `q.memory.search` and `admin.memory.reindex` (the CLI's `cairn memory`).
 * Reindex progress goes to the inbox the caller names, so one reindex's bar is its caller's alone.
 */
export const serveMemory = (nc: NatsConnection, memory: () => MemoryManager | undefined) => {
  const need = () => {
    const m = memory();
    if (!m) throw new CairnError("unavailable", "memory is off ([memory] enabled = false)");
    return m;
  };
  return [
    serve(nc, subjects.query("memory", "status"), () => memory()?.status() ?? { enabled: false }),
    serve(nc, subjects.query("memory", "search"), (p) => need().search(decodeOrFail(MemorySearchParams, p, "memory search params"))),
    serve(nc, subjects.admin("memory", "reindex"), (p) => {
      const { progress } = decodeOrFail(ReindexParams, p ?? {}, "memory reindex params");
      return need().reindex(progress ? (done, total) => nc.publish(progress, JSON.stringify({ done, total })) : undefined);
    }),
  ];
};
