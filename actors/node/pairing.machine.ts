import { assign, setup } from "xstate";
import type { MachineEvent } from "../runtime/index.ts";

export const PAIRING_MACHINE_VERSION = 1;
/** The one pairing window of a gateway: `evt.pairing.window`. */
export const PAIRING_WINDOW_ID = "window";

export interface PairingContext {
  /** Opened and not closed by an event; past `until` it is closed all the same. */
  readonly open: boolean;
  readonly until: number | null;
  readonly by: string | null;
}

type Ev = MachineEvent<"pairing.opened"> | MachineEvent<"pairing.closed">;

/**
 * The pairing window. Its deadline is data: whoever serves pairing checks `until` on every request
 * and arms a timer from it (again after a restart) that records the close. No effects.
 */
export const pairingMachine = setup({
  types: { context: {} as PairingContext, events: {} as Ev },
}).createMachine({
  id: "pairing",
  context: { open: false, until: null, by: null },
  initial: "active",
  states: {
    active: {
      on: {
        "pairing.opened": { actions: assign(({ event }) => ({ open: true, until: event.data.until, by: event.data.by })) },
        "pairing.closed": { actions: assign(({ event }) => ({ open: false, until: null, by: event.data.by })) },
      },
    },
  },
});

/** The window as callers see it at `now` (an expired one is closed even before its event). */
export const windowAt = (c: PairingContext, now: number): { open: boolean; until: number | null } =>
  c.open && c.until !== null && now < c.until ? { open: true, until: c.until } : { open: false, until: null };
