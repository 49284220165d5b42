import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { NodeContext, NodeHello, NodeTelemetry, type NodeHello as Hello } from "../../schemas/index.ts";

/** A node that said nothing (hello, heartbeat, telemetry) for this long is offline. */
export const NODE_STALE_MS = 15_000;

export type PresenceChange = "online" | "offline" | "telemetry" | "context";

/**
 * What the gateway knows about connected nodes right now. In memory only: presence and
 * telemetry are not facts of the log (a restart forgets them and the next heartbeat restores them).
 */
export interface NodePresence {
  isOnline(nodeId: string): boolean;
  lastSeenAt(nodeId: string): number | null;
  telemetry(nodeId: string): NodeTelemetry | null;
  hello(nodeId: string): Hello | null;
  context(nodeId: string): NodeContext | null;
  /** Node ids heard from since start (or since `forget`). */
  known(): readonly string[];
  /** Drops what is known of a node (revoked: it is offline at once, whatever it said last). */
  forget(nodeId: string): void;
  /** Called on every change, and when a node goes stale (checked every few seconds); returns an unsubscribe. */
  onChange(cb: (nodeId: string, change: PresenceChange) => void): () => void;
  stop(): void;
}

interface Entry {
  lastSeenAt: number;
  hello: Hello | null;
  telemetry: NodeTelemetry | null;
  context: NodeContext | null;
  online: boolean;
}

const Heartbeat = Schema.Struct({ at: Schema.Number });
const decoder = <S extends Schema.ConstraintDecoder<unknown>>(s: S) => {
  const d = Schema.decodeUnknownResult(s);
  return (u: unknown): S["Type"] | undefined => {
    const r = d(u);
    return Result.isSuccess(r) ? r.success : undefined;
  };
};
const decode = {
  hello: decoder(NodeHello),
  heartbeat: decoder(Heartbeat),
  telemetry: decoder(NodeTelemetry),
  context: decoder(NodeContext),
};
const dec = new TextDecoder();

/**
 * Follows every node's `out.hello|heartbeat|telemetry|context`. The node id comes from the subject
 * (a node's JWT only lets it publish under its own id), never from the payload; anything that does
 * not decode is ignored, so a broken node cannot disturb what is known of the others.
 */
export function trackNodePresence(nc: NatsConnection, o: { now?: () => number; staleMs?: number; sweepMs?: number } = {}): NodePresence {
  const now = o.now ?? Date.now;
  const staleMs = o.staleMs ?? NODE_STALE_MS;
  const nodes = new Map<string, Entry>();
  const listeners = new Set<(nodeId: string, change: PresenceChange) => void>();
  const emit = (id: string, change: PresenceChange) => {
    for (const cb of listeners) {
      try {
        cb(id, change);
      } catch {
        // a listener's failure is its own
      }
    }
  };
  const fresh = (e: Entry | undefined) => e !== undefined && now() - e.lastSeenAt <= staleMs;

  const seen = (id: string, patch: Partial<Entry>, change?: PresenceChange) => {
    const e = nodes.get(id) ?? { lastSeenAt: 0, hello: null, telemetry: null, context: null, online: false };
    const wasOnline = e.online && fresh(e);
    Object.assign(e, patch, { lastSeenAt: now(), online: true });
    nodes.set(id, e);
    if (!wasOnline) emit(id, "online");
    if (change) emit(id, change);
  };

  const handle = (what: string) => (err: Error | null, msg: Msg) => {
    if (err) return;
    const id = msg.subject.split(".")[1];
    let body: unknown;
    try {
      body = JSON.parse(dec.decode(msg.data));
    } catch {
      return;
    }
    switch (what) {
      case "hello": {
        const h = decode.hello(body);
        if (h && h.nodeId === id) seen(id, { hello: h, telemetry: h.telemetry }, "telemetry");
        break;
      }
      case "heartbeat":
        if (decode.heartbeat(body)) seen(id, {});
        break;
      case "telemetry": {
        const t = decode.telemetry(body);
        if (t) seen(id, { telemetry: t }, "telemetry");
        break;
      }
      case "context": {
        const c = decode.context(body);
        if (c) seen(id, { context: c }, "context");
        break;
      }
    }
  };
  const subs: Subscription[] = (["hello", "heartbeat", "telemetry", "context"] as const).map((what) =>
    nc.subscribe(`node.*.out.${what}`, { callback: handle(what) }),
  );
  // Going stale is the absence of a message: a sweep notices it and tells the listeners.
  const sweep = setInterval(
    () => {
      for (const [id, e] of nodes) {
        if (e.online && !fresh(e)) {
          e.online = false;
          emit(id, "offline");
        }
      }
    },
    o.sweepMs ?? Math.max(1000, Math.floor(staleMs / 3)),
  );
  sweep.unref();

  const get = (id: string) => nodes.get(id);
  return {
    isOnline: (id) => fresh(get(id)),
    lastSeenAt: (id) => get(id)?.lastSeenAt ?? null,
    telemetry: (id) => get(id)?.telemetry ?? null,
    hello: (id) => get(id)?.hello ?? null,
    context: (id) => get(id)?.context ?? null,
    known: () => [...nodes.keys()],
    forget: (id) => {
      const e = nodes.get(id);
      nodes.delete(id);
      if (e?.online) emit(id, "offline");
    },
    onChange: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    stop: () => {
      clearInterval(sweep);
      for (const s of subs) s.unsubscribe();
      listeners.clear();
    },
  };
}
