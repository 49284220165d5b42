import * as Schema from "effect/Schema";
import { CairnError, RunId, decodeOrFail } from "../../schemas/index.ts";
import type { Dispatch } from "../runtime/index.ts";
import { RunCancelled, type RunWorks } from "./run.work.ts";

export const CancelParams = Schema.Struct({
  runId: Schema.optionalKey(RunId),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(32))),
});

/**
 * Stops a session's running run (`cmd.session.<key>.cancel`). The run's own effects record the end
 * (`run.cancelled` with what streamed so far, calls cut short marked interrupted); a run with no
 * effects here (its process died; recovery has not reached it yet) is ended directly.
 * Nothing running is not an error: the answer says so, since the run may just have finished.
 */
export const cancelRun = async (
  deps: { activeRun: (sessionKey: string) => Promise<string | null>; works: RunWorks; dispatch: Dispatch },
  sessionKey: string,
  raw: unknown,
): Promise<{ sessionKey: string; runId: string | null; cancelled: boolean }> => {
  const p = decodeOrFail(CancelParams, raw ?? {}, "cancel params");
  const active = await deps.activeRun(sessionKey);
  if (active === null || (p.runId !== undefined && p.runId !== active)) return { sessionKey, runId: p.runId ?? active, cancelled: false };
  const by = p.by ?? "web";
  const effects = await deps.works.controller(active);
  if (effects) {
    effects.abort(new RunCancelled(by));
    return { sessionKey, runId: active, cancelled: true };
  }
  const r = (await deps.dispatch("run", active, "cancel", { by, partialText: "" })) as { ended?: boolean };
  if (r?.ended === false) throw new CairnError("conflict", `run ${active} has already ended`);
  return { sessionKey, runId: active, cancelled: true };
};
