import type { GatewayClient } from "./client.ts";
import type { PushDeviceView } from "./wire.ts";
import { deviceName } from "./auth.ts";

/**
 * Web Push in the browser (issue 20, item 7): this device's opt-in, and telling the gateway
 * whether a tab is looked at (it pushes only when none is). Subscriptions need the service worker
 * (`public/sw.js`), so only a secure context (https, localhost) can have them.
 */

const DEVICE_KEY = "cairn.push.device";

export type PushSupport = "ok" | "insecure" | "unsupported";

export const pushSupport = (): PushSupport => {
  if (!window.isSecureContext) return "insecure";
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window ? "ok" : "unsupported";
};

/** This browser's device id: made once, kept in localStorage (the gateway lists devices by it). */
export const deviceId = (): string => {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = `d-${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
};

const sameKey = (a: ArrayBuffer | null | undefined, b: string): boolean => {
  if (!a) return false;
  const bytes = new Uint8Array(a);
  const s = btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return s === b.replace(/=+$/, "");
};

/** This browser's current push subscription, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (pushSupport() !== "ok") return null;
  const reg = await navigator.serviceWorker.getRegistration();
  return (await reg?.pushManager.getSubscription()) ?? null;
}

/**
 * Asks for the permission, subscribes with the gateway's VAPID key (a subscription made for
 * another key, an older gateway's, is replaced) and records it for this device.
 */
export async function enablePush(client: GatewayClient): Promise<"on" | "denied" | "off"> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "denied" : "off";
  const { publicKey } = await client.request("push.key", {});
  if (!publicKey) throw new Error("This gateway has no push key.");
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub.options.applicationServerKey, publicKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
  const json = sub.toJSON();
  await client.request("push.subscribe", {
    device: deviceId(),
    label: deviceName(navigator.userAgent),
    subscription: { endpoint: json.endpoint ?? "", keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" } },
  });
  return "on";
}

/** Stops notifications to this device: the gateway forgets it, then the browser drops the subscription. */
export async function disablePush(client: GatewayClient): Promise<void> {
  await client.request("push.unsubscribe", { device: deviceId() });
  await (await currentSubscription())?.unsubscribe();
}

export const listDevices = async (client: GatewayClient): Promise<readonly PushDeviceView[]> =>
  (await client.request("push.devices", {})).devices;
