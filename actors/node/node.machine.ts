import { assign, setup } from "xstate";
import { PAIRING_CLOCK_SKEW_MS } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/index.ts";

export const NODE_MACHINE_VERSION = 1;

export type NodeStatus = "new" | "pending" | "approved" | "rejected" | "revoked";

export interface NodeAggregateContext {
  readonly nodeId: string;
  readonly status: NodeStatus;
  readonly name: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly requestId: string | null;
  readonly requestedAt: number | null;
  readonly address: string | null;
  readonly hostname: string;
  readonly platform: string;
  readonly workingDir: string;
  readonly approvedAt: number | null;
  readonly decidedBy: string | null;
  readonly revokedAt: number | null;
  /** Nonces of recorded requests still inside the clock window (older ones fail the clock check). */
  readonly nonces: ReadonlyArray<{ readonly nonce: string; readonly at: number }>;
  /** When the last key-mismatch alert was recorded (they are rate limited). */
  readonly lastMismatchAt: number | null;
}

type Ev =
  | MachineEvent<"node.pairing_requested">
  | MachineEvent<"node.approved">
  | MachineEvent<"node.rejected">
  | MachineEvent<"node.revoked">
  | MachineEvent<"node.key_mismatch">;

/** Nonces kept at most; a request older than the clock window is refused anyway. */
const MAX_NONCES = 64;

export type RevokedParams = { nodeId: string; publicKey: string; at: number };

const requested = (context: NodeAggregateContext, event: MachineEvent<"node.pairing_requested">) => {
  const d = event.data;
  const nonces = [
    ...context.nonces.filter((n) => event.time - n.at <= 2 * PAIRING_CLOCK_SKEW_MS),
    { nonce: d.nonce, at: event.time },
  ].slice(-MAX_NONCES);
  return {
    status: "pending" as const,
    name: d.name,
    publicKey: d.publicKey,
    fingerprint: d.fingerprint,
    requestId: d.requestId,
    requestedAt: event.time,
    address: d.address,
    hostname: d.hostname,
    platform: d.platform,
    workingDir: d.workingDir,
    approvedAt: null,
    decidedBy: null,
    revokedAt: null,
    nonces,
  };
};

/**
 * One node: new → pending (a recorded pairing request) → approved | rejected; approved → revoked.
 * Rejected and revoked nodes may ask again (→ pending). `revoked` asks the host to revoke the key
 * on the bus — an effect, so it runs once, after the event is durable, never on replay.
 */
export const nodeMachine = setup({
  types: { context: {} as NodeAggregateContext, events: {} as Ev, input: {} as { id: string } },
  actions: { revoked: (_, _p: RevokedParams) => {} },
}).createMachine({
  id: "node",
  context: ({ input }) => ({
    nodeId: input?.id ?? "",
    status: "new",
    name: "",
    publicKey: "",
    fingerprint: "",
    requestId: null,
    requestedAt: null,
    address: null,
    hostname: "",
    platform: "",
    workingDir: "",
    approvedAt: null,
    decidedBy: null,
    revokedAt: null,
    nonces: [],
    lastMismatchAt: null,
  }),
  initial: "new",
  on: {
    "node.key_mismatch": { actions: assign(({ event }) => ({ lastMismatchAt: event.time })) },
  },
  states: {
    new: { on: { "node.pairing_requested": { target: "pending", actions: assign(({ context, event }) => requested(context, event)) } } },
    pending: {
      on: {
        "node.approved": {
          target: "approved",
          actions: assign(({ event }) => ({ status: "approved" as const, approvedAt: event.time, decidedBy: event.data.by })),
        },
        "node.rejected": {
          target: "rejected",
          actions: assign(({ event }) => ({ status: "rejected" as const, decidedBy: event.data.by })),
        },
        "node.revoked": {
          target: "revoked",
          actions: [
            assign(({ event }) => ({ status: "revoked" as const, revokedAt: event.time, decidedBy: event.data.by })),
            { type: "revoked", params: ({ context, event }) => ({ nodeId: context.nodeId, publicKey: context.publicKey, at: event.time }) },
          ],
        },
      },
    },
    approved: {
      on: {
        "node.revoked": {
          target: "revoked",
          actions: [
            assign(({ event }) => ({ status: "revoked" as const, revokedAt: event.time, decidedBy: event.data.by })),
            { type: "revoked", params: ({ context, event }) => ({ nodeId: context.nodeId, publicKey: context.publicKey, at: event.time }) },
          ],
        },
      },
    },
    rejected: {
      on: { "node.pairing_requested": { target: "pending", actions: assign(({ context, event }) => requested(context, event)) } },
    },
    revoked: {
      on: { "node.pairing_requested": { target: "pending", actions: assign(({ context, event }) => requested(context, event)) } },
    },
  },
});
