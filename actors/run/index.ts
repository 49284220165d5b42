/**
 * Agent runs: the run machine (which is the agent loop), its commands and effects, fallback
 * chains and cooldowns, and the options that bound a run.
 */
export { RUN_MACHINE_VERSION, runMachine, type RunContext, type RunEffects, type RunToolCall } from "./run.machine.ts";
export { runSpec, type RunCommand } from "./run.commands.ts";
export { runEffects, type RunEffectsHandle } from "./run.effects.ts";
export { compactSession, summarize } from "./compact.effect.ts";
export { afterCompaction, estimateTokens, planCompaction, promptBudget, promptTokens, summaryNote } from "./compaction.ts";
export type { RunEffectDeps, RunPolicy } from "./run.deps.ts";
export { RunCancelled, SHUTDOWN } from "./run.work.ts";
export { cancelRun, CancelParams } from "./run.cancel.ts";
export { loadCooldowns, type CooldownTracker } from "./cooldown.tracker.ts";
export { CANCELLED_NOTE, INTERRUPTED_NOTE, promptMessages, toolTurns } from "./run.prompt.ts";
export {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_RUN_TIMEOUT_MS,
  MAX_TOOL_RESULT_BYTES,
  type AgentOptions,
  type ExecOptions,
} from "./agent.options.ts";
