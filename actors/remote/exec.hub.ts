import type { Msg, NatsConnection } from "@nats-io/transport-node";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { encodeJson } from "../../bus/index.ts";
import { NodeExecData, NodeExecDone } from "../../schemas/index.ts";

type Data = typeof NodeExecData.Type;

export interface ExecListener {
  onData(d: Data): void;
  onDone(d: NodeExecDone): void;
}

// The node checks `ok === true`; the envelope shape also satisfies a node that reads replies with `request`.
const ACK = encodeJson({ ok: true, result: { ok: true } });
const dec = new TextDecoder();
const decodeData = Schema.decodeUnknownResult(NodeExecData);
const decodeDone = Schema.decodeUnknownResult(NodeExecDone);
/** How many finished exec ids are remembered to recognise a retried `done`. */
const REMEMBERED = 2000;

/**
 * One subscription for every node's command output (`node.*.out.exec.<execId>.data|done`), routed
 * to the command waiting for it. Keys are node id + exec id: the node id comes from the subject,
 * which a node's JWT confines to its own, so one node cannot answer for another's command.
 *
 * Every `done` is acknowledged — duplicates (the node retries when an ack is lost) and ones nobody
 * waits for (a gateway restart forgot the command) included — but only the first one reaches its
 * listener: a result is delivered once.
 */
export class ExecHub {
  readonly #listeners = new Map<string, ExecListener>();
  readonly #finished = new Set<string>();
  readonly #sub;

  constructor(nc: NatsConnection) {
    this.#sub = nc.subscribe("node.*.out.exec.>", {
      callback: (err, msg) => {
        if (!err) this.#route(msg);
      },
    });
  }

  listen(nodeId: string, execId: string, l: ExecListener): () => void {
    const key = `${nodeId}/${execId}`;
    this.#listeners.set(key, l);
    return () => {
      if (this.#listeners.get(key) === l) this.#listeners.delete(key);
    };
  }

  stop(): void {
    this.#sub.unsubscribe();
    this.#listeners.clear();
  }

  #route(msg: Msg): void {
    // node.<id>.out.exec.<execId>.<what>
    const t = msg.subject.split(".");
    if (t.length !== 6) return;
    const key = `${t[1]}/${t[4]}`;
    let body: unknown;
    try {
      body = JSON.parse(dec.decode(msg.data));
    } catch {
      body = undefined;
    }
    if (t[5] === "data") {
      const r = decodeData(body);
      if (Result.isSuccess(r)) this.#listeners.get(key)?.onData(r.success);
      return;
    }
    if (t[5] !== "done") return;
    const r = decodeDone(body);
    if (!Result.isSuccess(r)) return; // not acked: a malformed result is not a result
    if (msg.reply) msg.respond(ACK);
    if (this.#finished.has(key)) return;
    const l = this.#listeners.get(key);
    if (!l) return;
    this.#finished.add(key);
    const oldest = this.#finished.values().next();
    if (this.#finished.size > REMEMBERED && !oldest.done) this.#finished.delete(oldest.value);
    this.#listeners.delete(key);
    l.onDone(r.success);
  }
}
