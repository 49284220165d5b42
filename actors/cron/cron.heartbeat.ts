import type { CronJobSettings } from "../../schemas/index.ts";
import type { Dispatch } from "../runtime/index.ts";
import { HEARTBEAT_JOB } from "./cron.config.ts";

/**
 * Makes cairn's heartbeat job match `[heartbeat]`: created, updated, removed, or left as it is. A
 * failure is reported, never fatal: the gateway serves without a heartbeat rather than not at all,
 * and the next start (or another gateway's) tries again.
 */
export const syncHeartbeat = async (dispatch: Dispatch, settings: CronJobSettings | null, report: (line: string) => void) => {
  try {
    const r = (await dispatch("cron", HEARTBEAT_JOB, "sync", { settings })) as { changed: boolean; removed?: boolean };
    if (r.changed) report(settings ? "heartbeat: set up from [heartbeat]" : "heartbeat: removed ([heartbeat] is gone or off)");
    return r;
  } catch (e) {
    report(`heartbeat: not set up: ${(e as Error).message}`);
    return undefined;
  }
};
