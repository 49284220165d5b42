import type { NatsConnection } from "@nats-io/transport-node";
import { publishLive } from "../../bus/index.ts";
import type { RunStatus, WireError } from "../../schemas/index.ts";
import type { Dispatch } from "../runtime/dispatch.ts";

/**
 * The session's effects. `startRun` asks the run aggregate to start (idempotent, so a retry cannot
 * start two model calls); `announceRunEnded` tells live clients the session is idle again — sent
 * only after `session.run_ended` is durable, so a client that reacts by sending the next message
 * never meets `session_busy`.
 */
export const sessionEffects = (deps: { nc: NatsConnection; dispatch: Dispatch; defaultModel: () => string | null }) => ({
  startRun: async (p: { sessionKey: string; runId: string; messageId: string; model: string | null }) => {
    const model = p.model ?? deps.defaultModel();
    await deps.dispatch("run", p.runId, "start", { sessionKey: p.sessionKey, model, triggerMessageId: p.messageId });
  },
  announceRunEnded: (p: { sessionKey: string; runId: string; status: RunStatus; error?: WireError }) => {
    publishLive(deps.nc, p.sessionKey, { type: "run.ended", runId: p.runId, status: p.status, ...(p.error ? { error: p.error } : {}) });
  },
});
