/**
 * The in-process stack (real NATS, log, projector, scripted LLM server) with an actor system built
 * for fallback tests: a fallback chain, an injected clock, optional provider overrides, and a
 * restart that starts a fresh actor system on the same log (as a gateway restart would).
 */
import { createServer } from "node:net";
import { SnapshotStore } from "../../../bus/index.ts";
import { startActorSystem, type ActorSystem, type ActorSystemOptions } from "../../../actors/index.ts";
import { resolveModel, type ModelEnv } from "../../../actors/llm/index.ts";
import type { LiveSessionMessage, AnyStoredEvent } from "../../../schemas/index.ts";
import { aggregateEvents, chatUntilEnded, startStack, type Stack } from "../../fixtures/stack.ts";

export interface FallbackStack extends Stack {
  /** The actor system under test (replaced by `restart`). */
  sys: ActorSystem;
  /** The injected clock, in epoch ms; tests move it. */
  clock: { t: number };
  env: ModelEnv;
  restart(): Promise<void>;
  /** Sends a message and waits for the run to end; resolves with the run id and live messages. */
  chat(key: string, text: string, extra?: Record<string, unknown>): Promise<{ runId: string; live: LiveSessionMessage[] }>;
  /** Events of one aggregate, in order. */
  events(kind: "run" | "session", id: string): Promise<AnyStoredEvent[]>;
  dispose(): Promise<void>;
}

export interface FallbackOptions {
  model: string;
  fallback: readonly string[];
  env?: Partial<ModelEnv>;
  resolve?: (env: ModelEnv) => ActorSystemOptions["model"]["resolve"];
}

/** A port nothing listens on (bound once, then released). */
export const deadPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

export async function startFallbackStack(o: FallbackOptions): Promise<FallbackStack> {
  const s = await startStack({ model: o.model });
  // The fixture's own actor system is replaced by one configured for fallbacks.
  await s.actors.stop();
  const snapshots = await SnapshotStore.open(s.nc);
  const clock = { t: Date.UTC(2030, 0, 1, 12) };
  const env: ModelEnv = {
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: s.llm.openaiBaseUrl,
    ANTHROPIC_API_KEY: "sk-ant-test",
    ANTHROPIC_BASE_URL: s.llm.anthropicBaseUrl,
    ...o.env,
  };
  const start = () =>
    startActorSystem({
      nc: s.nc,
      log: s.log,
      snapshots,
      now: () => clock.t,
      model: {
        defaultModel: o.model,
        env,
        config: {},
        fallback: o.fallback,
        resolve: o.resolve?.(env) ?? ((id) => resolveModel(id, env, {})),
      },
    });
  const fs: FallbackStack = Object.assign(s, {
    sys: start(),
    clock,
    env,
    restart: async () => {
      await fs.sys.stop();
      fs.sys = start();
    },
    chat: (key: string, text: string, extra: Record<string, unknown> = {}) => chatUntilEnded(s.nc, key, text, { extra }),
    events: (kind: "run" | "session", id: string) => aggregateEvents(s.log, kind, id),
    dispose: async () => {
      await fs.sys.stop();
      await s.stop();
    },
  });
  return fs;
}
