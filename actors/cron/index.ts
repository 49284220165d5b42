/** Cron jobs: scheduled agent turns, each slot claimed in the log before it runs, exactly once. */
export { CRON_MACHINE_VERSION, cronMachine, type CronContext, type CronEffects } from "./cron.machine.ts";
export {
  createCronSpec,
  createdData,
  cronView,
  jobOfMessage,
  jobSessionKey,
  slotMessageId,
  type CronCommand,
  type CronSpecOptions,
} from "./cron.commands.ts";
export { cronEffects, type CronEffectDeps, type CronJobDue, type CronRuntime } from "./cron.effects.ts";
export { systemClock, type CronClock } from "./cron.clock.ts";
export { CronTimers } from "./cron.timers.ts";
export { DEFAULT_GRACE_MS, planFire, type FirePlan, type Skip } from "./cron.plan.ts";
export { anchored, checkSchedule, checkTimeZone, dueSlots, firstSlot, nextSlot, sameSchedule } from "./cron.schedule.ts";
export { inWindow, localMinute, nextInWindow } from "./cron.window.ts";
export { runEnded, type RunOutcome } from "./cron.run.watch.ts";
export {
  DEFAULT_CRON_SETTINGS,
  DEFAULT_HEARTBEAT_PROMPT,
  HEARTBEAT_JOB,
  cronSettings,
  heartbeatSettings,
  parseInterval,
  type CronSettings,
} from "./cron.config.ts";
export { CronRateLimiter } from "./cron.rate.ts";
export { CronToolParams, cronTool, type CronToolDeps } from "./cron.tool.ts";
export { syncHeartbeat } from "./cron.heartbeat.ts";
