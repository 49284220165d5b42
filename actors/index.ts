/** Behaviour: the session and run actors, their runtime, and the effects they invoke. */
export { startActorSystem, type ActorSystem, type ActorSystemOptions } from "./system/index.ts";
export { Ownership, PARTITIONS, type OwnershipView } from "./runtime/index.ts";
export { describeModelSetup, resolveModel, NO_MODEL_HINT, type ModelConfig, type ModelEnv, type ResolvedModel } from "./llm/index.ts";
export { sessionMachine, SESSION_MACHINE_VERSION } from "./session/index.ts";
export {
  runMachine,
  RUN_MACHINE_VERSION,
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_RUN_TIMEOUT_MS,
  MAX_TOOL_RESULT_BYTES,
  type AgentOptions,
  type ExecOptions,
} from "./run/index.ts";
export type { SandboxChoice, SandboxSettings } from "./sandbox/index.ts";
export { resolveInWorkspace, utf8Cut } from "./tools/index.ts";
