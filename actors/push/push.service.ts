import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { request, serve, subjects } from "../../bus/index.ts";
import type { PushDevice, PushDeviceView } from "../../schemas/index.ts";
import { ensureVapidKeys } from "./push.keys.ts";
import { PushNotifier } from "./push.notifier.ts";
import { pushSender } from "./push.sender.ts";

/** An edge with a visible tab answers at once; silence for this long means none is. */
const PRESENCE_TIMEOUT_MS = 500;

/** The default VAPID contact (`CAIRN_PUSH_CONTACT` overrides): push services want a mailto: or https: URL. */
export const DEFAULT_PUSH_CONTACT = "mailto:cairn@localhost";

export interface PushServiceOptions {
  readonly nc: NatsConnection;
  readonly dataDir: string;
  readonly contact?: string;
  readonly devices: () => Promise<readonly PushDevice[]>;
  /** Records that a device's subscription is gone (`unsubscribe_push`). */
  readonly forget: (device: string) => Promise<unknown>;
  readonly report: (line: string) => void;
}

export interface PushService {
  readonly notifier: PushNotifier;
  readonly subs: Subscription[];
}

/** Which push service a device uses ("fcm.googleapis.com"), so a person can tell devices apart. */
const serviceOf = (endpoint: string): string => {
  try {
    return new URL(endpoint).host;
  } catch {
    return "";
  }
};

/**
 * Web Push for this gateway: the VAPID key pair (made once), the notifier the actor hosts feed,
 * and the bus services the edge asks (`admin.push.key`, `admin.push.devices`).
 */
export const startPush = (o: PushServiceOptions): PushService => {
  const keys = ensureVapidKeys(o.dataDir);
  const notifier = new PushNotifier({
    devices: o.devices,
    tabsVisible: () =>
      request(o.nc, subjects.tabsVisible, {}, { timeoutMs: PRESENCE_TIMEOUT_MS }).then(
        () => true,
        () => false,
      ),
    send: pushSender({ keys, contact: o.contact ?? DEFAULT_PUSH_CONTACT }),
    forget: async (device) => {
      await o.forget(device);
      o.report(`push: device ${device} unsubscribed (its push service says the subscription is gone)`);
    },
    report: o.report,
  });
  const subs = [
    serve(o.nc, subjects.admin("push", "key"), () => ({ publicKey: keys.publicKey })),
    serve(o.nc, subjects.admin("push", "devices"), async () => ({
      devices: (await o.devices()).map(
        (d): PushDeviceView => ({ device: d.device, label: d.label, service: serviceOf(d.subscription.endpoint) }),
      ),
    })),
  ];
  return { notifier, subs };
};
