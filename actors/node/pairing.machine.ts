import { assign, setup } from "xstate";
import { HYDRATED, type Hydrated, type MachineEvent } from "../runtime/index.ts";

/** 2: `closed` / `open` states and the `closeAt` effect (version 1 snapshots are replayed from the log). */
export const PAIRING_MACHINE_VERSION = 2;
/** The one pairing window of a gateway: `evt.pairing.window`. */
export const PAIRING_WINDOW_ID = "window";

export interface PairingContext {
  /** Opened and not closed by an event; past `until` it is closed all the same. */
  readonly open: boolean;
  /** The deadline: data in the log, so a restarted gateway knows when to close. */
  readonly until: number | null;
  readonly by: string | null;
}

/** The `closeAt` effect: record the window's close once `until` has passed. */
export interface CloseAtParams {
  readonly until: number;
}

type Ev = MachineEvent<"pairing.opened"> | MachineEvent<"pairing.closed"> | Hydrated;

const openedWith = (event: MachineEvent<"pairing.opened">) => ({ open: true, until: event.data.until, by: event.data.by });

/**
 * The pairing window: closed → open (with a deadline) → closed, by a person or by the deadline.
 * Opening arms `closeAt` once the event is durable (re-opening arms the later deadline), and a
 * host taking the window over after a restart re-arms it from the deadline in context
 * (`cairn.hydrated`), so the close is recorded without anyone asking. Requests never wait for it:
 * `windowAt` treats a window past its deadline as closed even before the close is recorded.
 */
export const pairingMachine = setup({
  types: { context: {} as PairingContext, events: {} as Ev },
  actions: { closeAt: (_, _p: CloseAtParams) => {} },
}).createMachine({
  id: "pairing",
  context: { open: false, until: null, by: null },
  initial: "closed",
  states: {
    closed: {
      on: {
        "pairing.opened": {
          target: "open",
          actions: [assign(({ event }) => openedWith(event)), { type: "closeAt", params: ({ event }) => ({ until: event.data.until }) }],
        },
      },
    },
    open: {
      on: {
        "pairing.opened": {
          actions: [assign(({ event }) => openedWith(event)), { type: "closeAt", params: ({ event }) => ({ until: event.data.until }) }],
        },
        "pairing.closed": { target: "closed", actions: assign(({ event }) => ({ open: false, until: null, by: event.data.by })) },
        [HYDRATED]: { actions: { type: "closeAt", params: ({ context }) => ({ until: context.until ?? 0 }) } },
      },
    },
  },
});

/** The window as callers see it at `now` (an expired one is closed even before its event). */
export const windowAt = (c: PairingContext, now: number): { open: boolean; until: number | null } =>
  c.open && c.until !== null && now < c.until ? { open: true, until: c.until } : { open: false, until: null };
