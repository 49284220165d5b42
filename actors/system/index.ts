/** The actor system: every host, its effects, the agent's tools and the command routing, assembled. */
export { startActorSystem } from "./system.ts";
export type { ActorSystem, ActorSystemOptions, AppendObserver } from "./system.options.ts";
