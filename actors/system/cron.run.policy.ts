import type { CronContext, CronSettings } from "../cron/index.ts";
import { jobOfMessage } from "../cron/index.ts";
import type { RunPolicy } from "../run/index.ts";

export interface CronRunPolicyReads {
  /** The message that started a run (its trigger), from the run's context. */
  readonly triggerOf: (runId: string) => Promise<string | null | undefined>;
  readonly job: (name: string) => Promise<CronContext>;
  /** `[cron]`: what a job's runs use when the job says nothing (null: Settings and `[tools.exec]` decide). */
  readonly defaults: CronSettings;
}

/**
 * A cron slot's run uses its job's sandbox and approval mode. Which job, if any, is read from the
 * log: the run's trigger message id names the job, and the job must have that very slot in progress
 * (a person cannot borrow a job's settings by choosing a message id that looks like one).
 */
export function cronRunPolicy(r: CronRunPolicyReads): (runId: string, sessionKey: string) => Promise<RunPolicy | null> {
  const policies = new Map<string, RunPolicy | null>();
  return async (runId, sessionKey) => {
    const known = policies.get(runId);
    if (known !== undefined) return known;
    const messageId = await r.triggerOf(runId);
    const job = messageId ? jobOfMessage(messageId) : null;
    let policy: RunPolicy | null = null;
    if (job) {
      const c = await r.job(job);
      if (c.current?.messageId === messageId && c.current?.sessionKey === sessionKey)
        policy = { sandbox: c.sandbox ?? r.defaults.sandbox, approvalMode: c.approvalMode ?? r.defaults.approvalMode };
    }
    if (policies.size >= 1000) policies.clear();
    policies.set(runId, policy);
    return policy;
  };
}
