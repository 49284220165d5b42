/**
 * The bus: NATS connection pieces, subjects, the event log, snapshots, live streams, typed NATS
 * failures and the retry helper. The embedded server and the edge have their own doors
 * (`bus/server/`, `bus/edge/`).
 */
export * from "./subjects.ts";
export * from "./rpc.ts";
export * from "./streams.ts";
export * from "./replicas.ts";
export * from "./event-log.ts";
export * from "./snapshots.ts";
export * from "./partition.table.ts";
export * from "./capabilities.ts";
export * from "./live.ts";
export * from "./nats.errors.ts";
export * from "./retry.ts";
export * from "./telemetry/index.ts";
export * from "./run.follow.ts";
export * from "./provenance.ts";
export * from "./event-chain.ts";
export * from "./log.raw.ts";
export * from "./log.verify.ts";
export * from "./log.export.ts";
export * from "./log.import.ts";
export * from "./log.archive.ts";
export * from "./attachments/index.ts";
