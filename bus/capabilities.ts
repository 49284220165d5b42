import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../schemas/index.ts";

/**
 * The server capability gate. cairn's floor is nats-server 2.9.10 (Debian 12). Features that 2.9
 * silently ignores must never be relied on without checking here first: a silently ignored TTL or
 * batch header would corrupt our guarantees without any error.
 */
export const MIN_SERVER = "2.9.10";

const FEATURES = {
  perMessageTtl: "2.11.0",
  atomicBatchPublish: "2.12.0",
  multiFilterConsumers: "2.10.0",
  wildcardExpectedSubjectSeq: "2.11.0",
} as const;
export type Feature = keyof typeof FEATURES;

export const parseVersion = (v: string): [number, number, number] => {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
};

export const versionAtLeast = (v: string, min: string): boolean => {
  const a = parseVersion(v);
  const b = parseVersion(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

export interface Capabilities {
  readonly serverVersion: string;
  has(f: Feature): boolean;
}

/** Reads the connected server's version; refuses servers older than the floor. */
export const readCapabilities = (nc: NatsConnection): Capabilities => {
  const version = nc.info?.version ?? "0.0.0";
  if (!versionAtLeast(version, MIN_SERVER)) {
    throw new CairnError("unavailable", `nats-server ${version} is too old; cairn needs ${MIN_SERVER} or newer`);
  }
  return { serverVersion: version, has: (f) => versionAtLeast(version, FEATURES[f]) };
};
