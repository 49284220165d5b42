/**
 * Web Push (issue 20, item 7): VAPID keys made once in the data dir, subscriptions per device in
 * the settings aggregate, and a notification when an approval waits or a reply finished while no
 * tab of cairn is visible.
 */
export { ensureVapidKeys, VAPID_FILE, type VapidKeys } from "./push.keys.ts";
export { pushMessageOf } from "./push.message.ts";
export { PushNotifier, type PushNotifierDeps, type PushOutcome } from "./push.notifier.ts";
export { pushSender, type PushSenderOptions } from "./push.sender.ts";
export { DEFAULT_PUSH_CONTACT, startPush, type PushService, type PushServiceOptions } from "./push.service.ts";
