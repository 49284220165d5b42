/** The bus: NATS connection pieces, subjects, the event log, snapshots, live streams, the edge. */
export * from "./subjects.ts";
export * from "./rpc.ts";
export * from "./streams.ts";
export * from "./event-log.ts";
export * from "./snapshots.ts";
export * from "./capabilities.ts";
export * from "./live.ts";
