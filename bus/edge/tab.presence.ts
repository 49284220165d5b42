import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { serve } from "../rpc.ts";
import { subjects } from "../subjects.ts";

/**
 * Which of this edge's tabs are visible (`push.presence`, sent by the UI on every
 * visibilitychange and focus change), so Web Push stays quiet while the person is looking at cairn.
 * A tab is keyed by its connection; a closed connection is no longer visible.
 */
export class TabPresence {
  private readonly visible = new Set<object>();

  set(tab: object, visible: boolean): void {
    if (visible) this.visible.add(tab);
    else this.visible.delete(tab);
  }

  drop(tab: object): void {
    this.visible.delete(tab);
  }

  get count(): number {
    return this.visible.size;
  }

  /**
   * Answers "is a tab visible?" only while one of ours is: with several gateways on one bus, any
   * answer means yes and silence means no.
   */
  serve(nc: NatsConnection): Subscription {
    return serve(nc, subjects.tabsVisible, () => ({ visible: this.count }), { when: () => this.count > 0 });
  }
}
