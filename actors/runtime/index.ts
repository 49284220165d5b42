/**
 * The actor runtime: how an aggregate's machine is hosted (single writer, effects after facts,
 * snapshots, adoption after a crash) and how effects reach other aggregates (dispatch).
 */
export { AggregateHost, type HostDeps } from "./aggregate.host.ts";
export { commandDecoder, type AggregateSpec, type CommandOf, type DecideEnv, type Decision } from "./aggregate.ts";
export { withRetry, type Dispatch } from "./dispatch.ts";
export { declaredEffects, type EffectFailure, type EffectFn, type EffectSupervisor, type EffectTable } from "./effects.ts";
export { HYDRATED, toMachineEvent, type Hydrated, type MachineEvent } from "./machine-events.ts";
export { fold, persist, restore, type PersistedState } from "./persistence.ts";
export { routeCommands, type CommandRouter } from "./command.router.ts";
export { Ownership, soleOwner, type GatewaySeen, type OwnershipListener, type OwnershipView, type PartitionOwner } from "./ownership.ts";
export { PARTITIONS, partitionOf, routeKeyOf } from "./partitions.ts";
