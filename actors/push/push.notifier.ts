import type { AggregateKind, NewEvent, PushDevice, PushMessage, PushSubscriptionInfo } from "../../schemas/index.ts";
import { pushMessageOf } from "./push.message.ts";

/** What one delivery came to: `gone` is the push service saying the subscription no longer exists. */
export type PushOutcome = "sent" | "gone" | "failed";

export interface PushNotifierDeps {
  /** The subscribed devices (the settings aggregate's). */
  devices: () => Promise<readonly PushDevice[]>;
  /** True while some tab of cairn is visible: then the page itself shows what happened. */
  tabsVisible: () => Promise<boolean>;
  send: (subscription: PushSubscriptionInfo, message: PushMessage) => Promise<PushOutcome>;
  /** Records that a device's subscription is gone (an event), so it is not tried again. */
  forget: (device: string) => Promise<void>;
  report: (line: string) => void;
}

/**
 * Sends Web Push notifications for facts of the log (`pushMessageOf`), from the appends of the
 * host that decided them (`HostDeps.appended`): once per fact, only after it is durable, never on
 * replay (invariant 3). A push is a best-effort effect: a failure is reported, never retried, and
 * never holds up the actor that appended the fact.
 */
export class PushNotifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: PushNotifierDeps) {}

  /** The `appended` observer of the actor hosts. */
  readonly observe = (kind: AggregateKind, id: string, events: readonly NewEvent[], context: unknown): void => {
    for (const e of events) {
      const message = pushMessageOf(kind, id, e, context);
      if (message) this.track(this.deliver(message));
    }
  };

  /** Resolves once every push started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const done = p.catch((e: unknown) => this.deps.report(`push: ${(e as Error).message}`)).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private async deliver(message: PushMessage): Promise<void> {
    const devices = await this.deps.devices();
    if (devices.length === 0 || (await this.deps.tabsVisible())) return;
    await Promise.all(
      devices.map(async (d) => {
        const outcome = await this.deps.send(d.subscription, message);
        if (outcome === "gone") await this.deps.forget(d.device);
        else if (outcome === "failed") this.deps.report(`push to ${d.label || d.device} failed`);
      }),
    );
  }
}
