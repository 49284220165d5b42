import * as Schema from "effect/Schema";
import { TOKEN_PATTERN } from "./ids.ts";

/**
 * Web Push (issue 20, item 7): a browser's push subscription per device, and what the gateway
 * pushes. A subscription is an address (the push service's endpoint) plus the keys that encrypt
 * messages to that browser; it is not enough to send anything: the push service accepts only
 * messages signed with the gateway's VAPID private key, which stays in the data dir.
 */

/** A device's own id: the browser makes it once and keeps it (token-safe). */
export const PushDeviceId = Schema.String.check(Schema.isPattern(TOKEN_PATTERN));

const Base64Url = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{16,200}={0,2}$/));

/** What `PushManager.subscribe()` gives (`subscription.toJSON()`), as far as sending needs it. */
export const PushSubscriptionInfo = Schema.Struct({
  endpoint: Schema.String.check(Schema.isPattern(/^https:\/\/[^\s]{1,2040}$/)),
  keys: Schema.Struct({ p256dh: Base64Url, auth: Base64Url }),
});
export type PushSubscriptionInfo = typeof PushSubscriptionInfo.Type;

/** A subscribed device: its id, a name a person recognizes ("Chrome on Android"), its subscription. */
export const PushDevice = Schema.Struct({
  device: PushDeviceId,
  label: Schema.String.check(Schema.isMaxLength(120)),
  subscription: PushSubscriptionInfo,
});
export type PushDevice = typeof PushDevice.Type;

/** The payload of one push (the service worker shows it): `url` is the hash route to open. */
export type PushMessage = { readonly title: string; readonly body: string; readonly tag: string; readonly url: string };

/** One device as `push.devices` lists it: no keys, only what tells devices apart. */
export type PushDeviceView = { readonly device: string; readonly label: string; readonly service: string };

/** The Web Push methods of the WebSocket protocol (spread into `methodParams`). */
export const pushMethodParams = {
  /** The gateway's VAPID public key, which `PushManager.subscribe()` needs. */
  "push.key": Schema.Struct({}),
  "push.devices": Schema.Struct({}),
  "push.subscribe": Schema.Struct({ device: PushDeviceId, label: PushDevice.fields.label, subscription: PushSubscriptionInfo }),
  "push.unsubscribe": Schema.Struct({ device: PushDeviceId }),
  /**
   * Whether this tab is visible (`document.visibilityState`) and focused: pushes go out only while
   * no tab is. A tab that never says counts as not visible.
   */
  "push.presence": Schema.Struct({ visible: Schema.Boolean }),
} as const;
