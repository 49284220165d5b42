import * as Schema from "effect/Schema";
import { commandDecoder, type AggregateSpec, type CommandOf } from "../runtime/index.ts";
import { By } from "./node.commands.ts";
import { PAIRING_MACHINE_VERSION, pairingMachine, windowAt } from "./pairing.machine.ts";

export const OpenPairing = Schema.Struct({ minutes: Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 })), by: By });
export const ClosePairing = Schema.Struct({ by: By });
/** Sent by the `closeAt` effect at the deadline: records the close (no-op when not due). */
export const ExpirePairing = Schema.Struct({});

const schemas = { open: OpenPairing, close: ClosePairing, expire: ExpirePairing } as const;
export type PairingCommand = CommandOf<typeof schemas>;

/**
 * Opening always records (re-opening extends the deadline); closing a closed window writes
 * nothing; a window past its deadline is closed as `expired` (by whoever notices first).
 */
export const pairingSpec: AggregateSpec<typeof pairingMachine, PairingCommand> = {
  kind: "pairing",
  machine: pairingMachine,
  machineVersion: PAIRING_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("pairing", schemas),
  // The armed deadline waits for the world (its time), so adopting the window does not wait for it.
  continuing: ["closeAt"],
  decide: (s, c, env) => {
    const ctx = s.context;
    const expired = s.matches("open") && ctx.until !== null && env.now >= ctx.until;
    if (c.verb === "open") {
      const until = env.now + Math.round(c.params.minutes * 60_000);
      return { events: [{ type: "pairing.opened", data: { until, by: c.params.by } }], reply: { open: true, until } };
    }
    if (s.matches("closed")) return { events: [], reply: windowAt(ctx, env.now) };
    if (c.verb === "expire" && !expired) return { events: [], reply: windowAt(ctx, env.now) };
    const data = expired
      ? { by: "gateway", reason: "expired" as const }
      : { by: (c.params as { by: string }).by, reason: "closed" as const };
    return { events: [{ type: "pairing.closed", data }], reply: { open: false, until: null } };
  },
};
