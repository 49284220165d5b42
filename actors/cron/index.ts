/** Cron jobs: scheduled agent turns, each slot claimed in the log before it runs, exactly once. */
export { CRON_MACHINE_VERSION, cronMachine, type CronContext, type CronEffects } from "./cron.machine.ts";
export { createCronSpec, cronView, jobSessionKey, slotMessageId, type CronCommand, type CronSpecOptions } from "./cron.commands.ts";
export { cronEffects, type CronEffectDeps, type CronRuntime } from "./cron.effects.ts";
export { CronTimers, systemClock, type CronClock } from "./cron.clock.ts";
export { DEFAULT_GRACE_MS, planFire, type FirePlan, type Skip } from "./cron.plan.ts";
export { checkSchedule, checkTimeZone, dueSlots, nextSlot } from "./cron.schedule.ts";
export { runEnded, type RunOutcome } from "./cron.run.watch.ts";
