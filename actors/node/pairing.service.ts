import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../../bus/index.ts";
import { decodeOrFail, type PairingWindow } from "../../schemas/index.ts";
import type { NodeHosts } from "./node.hosts.ts";
import { PAIRING_WINDOW_ID, windowAt, type CloseAtParams } from "./pairing.machine.ts";

const PairingParams = Schema.Struct({
  open: Schema.Boolean,
  minutes: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 }))),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});

/** After a failed attempt to record the close, the next one (the window reads as closed meanwhile). */
export const CLOSE_RETRY_MS = 5_000;

/**
 * The pairing window on the bus: `admin.nodes.pairing` (`{open, minutes?, by?}`) and
 * `q.nodes.pairing`, both answered from the window aggregate. The window closes itself: the
 * machine's `closeAt` effect, armed when it opens and re-armed when this service adopts it at
 * start, records the close at the deadline kept in its context.
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
  // One armed deadline at a time: a later one (re-opening) replaces it; stop() cancels it.
  let armed: { timer: NodeJS.Timeout; settle: () => void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  const disarm = () => {
    if (!armed) return;
    clearTimeout(armed.timer);
    armed.settle();
    armed = undefined;
  };
  const closeAt = ({ until }: CloseAtParams) =>
    new Promise<void>((resolve, reject) => {
      disarm();
      const timer = setTimeout(
        () => {
          armed = undefined;
          o.pairing.execute(PAIRING_WINDOW_ID, { verb: "expire", params: {} }).then(() => resolve(), reject);
        },
        Math.max(0, until - o.now()) + 50,
      );
      timer.unref();
      armed = { timer, settle: resolve };
    });
  // A close that could not be recorded (the bus away) is tried again by adopting the window anew.
  o.pairing.setEffects({ closeAt }, async () => {
    if (retry) clearTimeout(retry);
    retry = setTimeout(
      () => void o.pairing.adopt(PAIRING_WINDOW_ID).catch((e) => o.report(`re-arming the pairing window failed: ${(e as Error).message}`)),
      CLOSE_RETRY_MS,
    );
    retry.unref();
  });
  await o.pairing.adopt(PAIRING_WINDOW_ID);
  const current = async (): Promise<PairingWindow> => windowAt((await o.pairing.read(PAIRING_WINDOW_ID)).snapshot.context, o.now());

  const subs = [
    serve(o.nc, subjects.admin("nodes", "pairing"), async (p): Promise<PairingWindow> => {
      const params = decodeOrFail(PairingParams, p, "pairing params");
      const by = params.by ?? "user";
      if (params.open) o.requireEmbedded();
      const cmd = params.open
        ? ({ verb: "open", params: { minutes: params.minutes ?? o.pairingMinutes, by } } as const)
        : ({ verb: "close", params: { by } } as const);
      return (await o.pairing.execute(PAIRING_WINDOW_ID, cmd)) as PairingWindow;
    }),
    serve(o.nc, subjects.query("nodes", "pairing"), () => current()),
  ];

  return {
    /** The window now (an expired one is closed even before its close is recorded). */
    current,
    stop: () => {
      disarm();
      if (retry) clearTimeout(retry);
      for (const s of subs) s.unsubscribe();
    },
  };
}
