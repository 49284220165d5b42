import type { NatsConnection } from "@nats-io/transport-node";
import { publishLive } from "../../bus/index.ts";
import { toWireError, type WireError } from "../../schemas/index.ts";
import type { Dispatch, EffectSupervisor } from "../runtime/index.ts";
import type { SessionEffects } from "./session.machine.ts";

export type { SessionEffects };

/**
 * The session's effects. `startRun` asks the run aggregate to start (idempotent, so a retry cannot
 * start two model calls); `announceRunEnded` tells live clients the session is idle again — sent
 * only after `session.run_ended` is durable, so a client that reacts by sending the next message
 * never meets `session_busy`; `adoptRun` takes over the active run of a session found running
 * after a crash — a run that never started is recorded as interrupted here, since no run machine
 * exists to say so.
 */
export const sessionEffects = (deps: {
  nc: NatsConnection;
  dispatch: Dispatch;
  /** The default model now (a setting changed in the UI applies to the next run). */
  defaultModel: () => Promise<string | null>;
  /** Adopts the run (its machine re-arms its effects) and answers its state once repairs are done. */
  adoptRun: (runId: string) => Promise<{ status: string; error: WireError | null }>;
}): { effects: SessionEffects; supervise: EffectSupervisor } => {
  const effects: SessionEffects = {
    startRun: async (p) => {
      const model = p.model ?? (await deps.defaultModel());
      const access = p.access !== undefined ? { access: p.access } : {};
      await deps.dispatch("run", p.runId, "start", { sessionKey: p.sessionKey, model, triggerMessageId: p.messageId, ...access });
    },
    announceRunEnded: (p) => {
      publishLive(deps.nc, p.sessionKey, { type: "run.ended", runId: p.runId, status: p.status, ...(p.error ? { error: p.error } : {}) });
    },
    adoptRun: async (p) => {
      const run = await deps.adoptRun(p.runId);
      if (run.status === "running") return; // its machine goes on (a tool step waiting for a person)
      // Ended (now or before the crash): recorded here too, so the session is repaired by the time
      // adoption returns — the run's own report may still be on its way (end_run is idempotent).
      const never = run.status === "new";
      await deps.dispatch("session", p.sessionKey, "end_run", {
        runId: p.runId,
        status: never ? "interrupted" : run.status,
        ...(never
          ? { error: { code: "run_interrupted", message: "the gateway stopped before the reply started" } }
          : run.error
            ? { error: run.error }
            : {}),
      });
    },
  };
  // A run that could not be started (bad model, bus gone) ends on the session as failed, so the
  // session is not left busy with a run nothing drives.
  const supervise: EffectSupervisor = async (f) => {
    if (f.action !== "startRun" && f.action !== "adoptRun") throw f.error;
    const { sessionKey, runId } = f.params as { sessionKey: string; runId: string };
    await deps.dispatch("session", sessionKey, "end_run", { runId, status: "failed", error: toWireError(f.error) });
  };
  return { effects, supervise };
};
