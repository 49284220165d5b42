import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../../bus/index.ts";
import { decodeOrFail, type PairingWindow } from "../../schemas/index.ts";
import type { NodeHosts } from "./node.hosts.ts";
import { PAIRING_WINDOW_ID, windowAt } from "./pairing.machine.ts";

const PairingParams = Schema.Struct({
  open: Schema.Boolean,
  minutes: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 }))),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});

/**
 * The pairing window on the bus: `admin.nodes.pairing` (`{open, minutes?, by?}`) and
 * `q.nodes.pairing`, both answered from the window aggregate. The window closes itself: a timer
 * armed from the deadline in its context records the close (armed again after a restart).
 */
export async function startPairingWindow(o: {
  nc: NatsConnection;
  pairing: NodeHosts["pairing"];
  /** `[nodes] pairing_minutes`: the window's default length. */
  pairingMinutes: number;
  /** Throws when pairing is unavailable (no embedded NATS server): opening is refused then. */
  requireEmbedded: () => unknown;
  now: () => number;
  report: (line: string) => void;
}) {
  let timer: NodeJS.Timeout | undefined;
  const context = async () => (await o.pairing.read(PAIRING_WINDOW_ID)).snapshot.context;
  const current = async (): Promise<PairingWindow> => windowAt(await context(), o.now());
  const arm = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const ctx = await context();
    if (!ctx.open || ctx.until === null) return;
    timer = setTimeout(() => {
      void o.pairing.execute(PAIRING_WINDOW_ID, { verb: "expire", params: {} }).catch((e) => o.report(`closing the pairing window failed: ${(e as Error).message}`));
    }, Math.max(0, ctx.until - o.now()) + 50);
    timer.unref();
  };
  await arm();

  const subs = [
    serve(o.nc, subjects.admin("nodes", "pairing"), async (p): Promise<PairingWindow> => {
      const params = decodeOrFail(PairingParams, p, "pairing params");
      const by = params.by ?? "user";
      if (params.open) o.requireEmbedded();
      const cmd = params.open
        ? ({ verb: "open", params: { minutes: params.minutes ?? o.pairingMinutes, by } } as const)
        : ({ verb: "close", params: { by } } as const);
      const reply = (await o.pairing.execute(PAIRING_WINDOW_ID, cmd)) as PairingWindow;
      await arm();
      return reply;
    }),
    serve(o.nc, subjects.query("nodes", "pairing"), () => current()),
  ];

  return {
    /** The window now (an expired one is closed even before its close is recorded). */
    current,
    stop: () => {
      if (timer) clearTimeout(timer);
      for (const s of subs) s.unsubscribe();
    },
  };
}
