import { describe, expect, test } from "vitest";
import { MAX_PUSH_DEVICES, settingsSpec } from "../../../actors/settings/settings.commands.ts";
import { given } from "../given.ts";

const subscription = { endpoint: "https://push.example/abc", keys: { p256dh: "B".repeat(87), auth: "C".repeat(22) } };
const phone = { device: "phone-1", label: "Chrome on Android", subscription };
const subscribed = { type: "settings.push_subscribed" as const, data: { ...phone, by: "web" } };

describe("settings: Web Push devices", () => {
  test("subscribing records the device; the same subscription again writes nothing; a new endpoint replaces it", () => {
    expect(given(settingsSpec, "global", []).when("subscribe_push", { ...phone, by: "web" }).events).toEqual([subscribed]);
    expect(given(settingsSpec, "global", [subscribed]).when("subscribe_push", { ...phone, by: "web" }).events).toEqual([]);
    const renewed = { ...phone, subscription: { ...subscription, endpoint: "https://push.example/new" } };
    const d = given(settingsSpec, "global", [subscribed]).when("subscribe_push", { ...renewed, by: "web" });
    expect(given(settingsSpec, "global", [subscribed, ...d.events]).snapshot.context.pushDevices).toEqual([renewed]);
  });

  test("unsubscribing forgets the device; an unknown one writes nothing", () => {
    const d = given(settingsSpec, "global", [subscribed]).when("unsubscribe_push", { device: "phone-1", by: "web" });
    expect(d.events).toEqual([{ type: "settings.push_unsubscribed", data: { device: "phone-1", by: "web" } }]);
    expect(given(settingsSpec, "global", [subscribed, ...d.events]).snapshot.context.pushDevices).toEqual([]);
    expect(given(settingsSpec, "global", []).when("unsubscribe_push", { device: "phone-1", by: "web" }).events).toEqual([]);
  });

  test("a plain-http endpoint is refused; so is a device past the limit", () => {
    expect(() =>
      given(settingsSpec, "global", []).when("subscribe_push", {
        ...phone,
        subscription: { ...subscription, endpoint: "http://x/y" },
        by: "web",
      }),
    ).toThrow(expect.objectContaining({ code: "bad_request" }));
    const many = Array.from({ length: MAX_PUSH_DEVICES }, (_, i) => ({ ...subscribed, data: { ...subscribed.data, device: `d${i}` } }));
    expect(() => given(settingsSpec, "global", many).when("subscribe_push", { ...phone, by: "web" })).toThrow(
      expect.objectContaining({ code: "bad_request", message: expect.stringMatching(/turn some off/) }),
    );
  });
});
