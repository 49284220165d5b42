import webpush from "web-push";
import type { PushMessage, PushSubscriptionInfo } from "../../schemas/index.ts";
import type { VapidKeys } from "./push.keys.ts";
import type { PushOutcome } from "./push.notifier.ts";

/** How long a push service keeps a message for a device that is offline: an approval expires anyway. */
const TTL_SECONDS = 60 * 60;
const TIMEOUT_MS = 15_000;

export interface PushSenderOptions {
  readonly keys: VapidKeys;
  /** The VAPID `sub` claim: how a push service's operator reaches whoever runs this gateway. */
  readonly contact: string;
}

/**
 * Delivers one message with `web-push` (RFC 8291 aes128gcm encryption, RFC 8292 VAPID). 404 and
 * 410 mean the subscription is gone (the user revoked the permission or the browser dropped it).
 */
export const pushSender =
  (o: PushSenderOptions) =>
  async (subscription: PushSubscriptionInfo, message: PushMessage): Promise<PushOutcome> => {
    try {
      await webpush.sendNotification(subscription, JSON.stringify(message), {
        vapidDetails: { subject: o.contact, publicKey: o.keys.publicKey, privateKey: o.keys.privateKey },
        TTL: TTL_SECONDS,
        urgency: message.tag.startsWith("approval-") ? "high" : "normal",
        contentEncoding: "aes128gcm",
        timeout: TIMEOUT_MS,
      });
      return "sent";
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      return status === 404 || status === 410 ? "gone" : "failed";
    }
  };
