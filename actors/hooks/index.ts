/**
 * Lifecycle hooks: HOOK.md files (project-local, the user's, `[[hooks]]` in cairn.toml, bundled)
 * whose commands observe, change or refuse steps of the agent's lifecycle. A hook is a child
 * process that reads the event as JSON on stdin and answers with its exit code and stdout. A
 * change or a refusal is an event in the log before it is acted on, so a run resumed after a crash
 * uses the recorded decision instead of asking again.
 */
export { BREAKER_COOLDOWN_MS, BREAKER_THRESHOLD, HookBreaker } from "./hook.breaker.ts";
export { BUNDLED_HOOKS_DIR, DEFAULT_HOOK_TIMEOUT_MS, discoverHooks, type DiscoveryOptions, type HookDef } from "./hook.discovery.ts";
export { HookDispatcher, type DispatcherDeps, type HookDecision, type ModifyOptions, type ModifyResult } from "./hook.dispatcher.ts";
export { hookObserver } from "./hook.observer.ts";
export { serveHooks } from "./hook.service.ts";
export { thisHost, unmetRequirements, type HostFacts } from "./hook.eligibility.ts";
export {
  MODIFIABLE,
  hookPayload,
  isModifying,
  samplePayloadData,
  type HookPayload,
  type ModifyingEvent,
  type ObservedEvent,
} from "./hook.events.ts";
export { parseHookMd, type HookDocument } from "./hook.format.ts";
export { MAX_HOOK_STDERR, MAX_HOOK_STDOUT, runHookCommand, type HookCommand, type HookOutcome } from "./hook.runner.ts";
