/**
 * Permission levels in the channel aggregate (pure: given events, when a command): the level an
 * accepted update is recorded with (the sender's own, else the channel's default from config), a
 * sender's own level set, cleared and kept across a revoke, and a reply owed after a crash keeping
 * the level of the update it answers.
 */
import { describe, expect, it } from "vitest";
import { channelSpec } from "../../../actors/channels/index.ts";
import type { NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const pending = (userId: string): NewEvent => ({ type: "channel.sender_pending", data: { userId, chatId: userId, name: "Eve" } });
const approved = (userId: string): NewEvent => ({ type: "channel.sender_approved", data: { userId, by: "cli" } });
const say = (updateId: number, o: { defaultAccess?: string } = {}) => ({
  updateId,
  userId: "5",
  chatId: "5",
  name: "Eve",
  text: "hello",
  allowed: false,
  ...o,
});

describe("channel permission levels", () => {
  it("an accepted update carries the channel's default level, or the sender's own; the reply says which", () => {
    const before = [pending("5"), approved("5")];
    const d = given(channelSpec, "telegram", before).when("receive", say(1, { defaultAccess: "read-only" }));
    expect(d.reply).toMatchObject({ verdict: "accepted", access: "read-only" });
    expect(d.events.at(-1)).toMatchObject({ type: "channel.update_received", data: { verdict: "accepted", access: "read-only" } });
    // No default named (an older loop): execute.
    expect(given(channelSpec, "telegram", before).when("receive", say(1)).reply).toMatchObject({ access: "execute" });

    const own = [...before, { type: "channel.sender_access_set", data: { userId: "5", access: "admin", by: "web" } } as NewEvent];
    expect(given(channelSpec, "telegram", own).when("receive", say(2, { defaultAccess: "read-only" })).reply).toMatchObject({
      access: "admin",
    });
  });

  it("held and refused updates carry no level: nothing runs for them", () => {
    const d = given(channelSpec, "telegram", [pending("5")]).when("receive", say(1, { defaultAccess: "admin" }));
    expect(d.reply).toMatchObject({ verdict: "pending" });
    expect(d.reply).not.toHaveProperty("access");
    expect(d.events.at(-1)?.data).not.toHaveProperty("access");
  });

  it("set_access records a change once; null goes back to the default; an unknown sender is not_found", () => {
    const g = given(channelSpec, "telegram", [pending("5"), approved("5")]);
    const d = g.when("set_access", { userId: "5", access: "read-only", by: "cli" });
    expect(d.events).toEqual([{ type: "channel.sender_access_set", data: { userId: "5", access: "read-only", by: "cli" } }]);
    const set = [pending("5"), approved("5"), ...d.events];
    expect(given(channelSpec, "telegram", set).when("set_access", { userId: "5", access: "read-only", by: "cli" }).events).toEqual([]);
    const back = given(channelSpec, "telegram", set).when("set_access", { userId: "5", access: null, by: "cli" });
    expect(back.events).toHaveLength(1);
    const cleared = given(channelSpec, "telegram", [...set, ...back.events]);
    expect(cleared.snapshot.context.senders["5"]).not.toHaveProperty("access");
    expect(cleared.when("receive", say(3, { defaultAccess: "execute" })).reply).toMatchObject({ access: "execute" });
    expect(() => g.when("set_access", { userId: "9", access: "admin", by: "cli" })).toThrow(/no sender 9/);
    expect(() => g.when("set_access", { userId: "5", access: "root", by: "cli" })).toThrow();
  });

  it("approve with a level records both facts; approving again at another level records only the level", () => {
    const d = given(channelSpec, "telegram", [pending("5")]).when("approve_sender", { userId: "5", by: "web", access: "read-only" });
    expect(d.events.map((e) => e.type)).toEqual(["channel.sender_approved", "channel.sender_access_set"]);
    const again = given(channelSpec, "telegram", [pending("5"), ...d.events]).when("approve_sender", {
      userId: "5",
      by: "web",
      access: "admin",
    });
    expect(again.events).toEqual([{ type: "channel.sender_access_set", data: { userId: "5", access: "admin", by: "web" } }]);
  });

  it("a revoke keeps the sender's level for when they are let in again", () => {
    const events = [
      pending("5"),
      approved("5"),
      { type: "channel.sender_access_set", data: { userId: "5", access: "admin", by: "cli" } } as NewEvent,
      { type: "channel.sender_denied", data: { userId: "5", by: "cli" } } as NewEvent,
    ];
    const g = given(channelSpec, "telegram", events);
    expect(g.snapshot.context.senders["5"]).toMatchObject({ status: "denied", access: "admin" });
    expect(g.when("receive", say(4)).reply).toMatchObject({ verdict: "refused" });
  });

  it("a reply owed after a crash keeps the level of the update it answers", () => {
    const accepted: NewEvent = {
      type: "channel.update_received",
      data: { updateId: 7, userId: "5", chatId: "5", verdict: "accepted", text: "hi", sessionKey: "tg-5", access: "read-only" },
    };
    const d = given(channelSpec, "telegram", [pending("5"), approved("5"), accepted]).when("owed", {});
    expect(d.reply).toEqual({ owed: [{ updateId: 7, chatId: "5", sessionKey: "tg-5", text: "hi", access: "read-only" }] });
  });

  it("a sender let in on first sight (allowed_users) is approved with their name and chat, so the page can name them", () => {
    const d = given(channelSpec, "telegram", []).when("receive", { ...say(1), allowed: true });
    expect(d.events[0]).toEqual({
      type: "channel.sender_approved",
      data: { userId: "5", by: "config:allowed_users", name: "Eve", chatId: "5" },
    });
    const g = given(channelSpec, "telegram", [...d.events]);
    expect(g.snapshot.context.senders["5"]).toMatchObject({ status: "approved", name: "Eve", chatId: "5" });
  });
});
