import { assign, setup } from "xstate";
import type { MachineEvent } from "../runtime/index.ts";

export const APPROVAL_MACHINE_VERSION = 1;

export type ApprovalStatus = "new" | "pending" | "granted" | "denied" | "expired";

export interface ApprovalContext {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly runId: string;
  readonly sessionKey: string;
  readonly callId: string;
  readonly tool: string;
  readonly command: string;
  readonly reason: string;
  readonly requestedAt: number;
  /** The deadline (data, not a timer): whoever waits re-arms a timer from it, also after a restart. */
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly always: boolean;
  readonly denyReason: string | null;
}

type Ev =
  | MachineEvent<"approval.requested">
  | MachineEvent<"approval.granted">
  | MachineEvent<"approval.denied">
  | MachineEvent<"approval.expired">;

export type DecidedParams = { id: string; status: "granted" | "denied" | "expired" };

const decided = (status: DecidedParams["status"]) => ({
  type: "decided" as const,
  params: ({ context }: { context: ApprovalContext }): DecidedParams => ({ id: context.id, status }),
});

/**
 * One approval: new → pending → granted | denied | expired (final). The first answer wins: a
 * final state takes no further events. `decided` wakes whoever waits in this process.
 */
export const approvalMachine = setup({
  types: { context: {} as ApprovalContext, events: {} as Ev, input: {} as { id: string } },
  actions: { decided: (_, _p: DecidedParams) => {} },
}).createMachine({
  id: "approval",
  context: ({ input }) => ({
    id: input?.id ?? "",
    status: "new",
    runId: "",
    sessionKey: "",
    callId: "",
    tool: "",
    command: "",
    reason: "",
    requestedAt: 0,
    expiresAt: 0,
    decidedAt: null,
    decidedBy: null,
    always: false,
    denyReason: null,
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "approval.requested": {
          target: "pending",
          actions: assign(({ event }) => ({ ...event.data, status: "pending" as const, requestedAt: event.time })),
        },
      },
    },
    pending: {
      on: {
        "approval.granted": {
          target: "granted",
          actions: [
            assign(({ event }) => ({
              status: "granted" as const,
              decidedAt: event.time,
              decidedBy: event.data.by,
              always: event.data.always === true,
            })),
            decided("granted"),
          ],
        },
        "approval.denied": {
          target: "denied",
          actions: [
            assign(({ event }) => ({
              status: "denied" as const,
              decidedAt: event.time,
              decidedBy: event.data.by,
              denyReason: event.data.reason ?? null,
            })),
            decided("denied"),
          ],
        },
        "approval.expired": {
          target: "expired",
          actions: [assign(({ event }) => ({ status: "expired" as const, decidedAt: event.time })), decided("expired")],
        },
      },
    },
    granted: { type: "final" },
    denied: { type: "final" },
    expired: { type: "final" },
  },
});
