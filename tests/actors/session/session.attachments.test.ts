import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import type { Attachment, NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const image: Attachment = { sha256: "a".repeat(64), name: "dot.png", mime: "image/png", size: 70, kind: "image" };
const notes: Attachment = { sha256: "b".repeat(64), name: "notes.md", mime: "text/plain", size: 12, kind: "text" };
// gpt-4o sees, gpt-3.5-turbo does not, anything else is unknown.
const vision = (m: string) => (m.endsWith("gpt-4o") ? true : m.endsWith("gpt-3.5-turbo") ? false : null);
const on = (model: string) => createSessionSpec(() => model, vision);
const created: NewEvent = { type: "session.created", data: { key: "s1", title: "", model: null } };

describe("session: messages with attachments", () => {
  test("the message event carries the files by reference", () => {
    const d = given(on("openai/gpt-4o"), "s1", [created]).when("send", { text: "look", messageId: "m1", attachments: [image, notes] });
    expect(d.events).toEqual([
      { type: "session.user_message", data: { messageId: "m1", text: "look", runId: "r-id1", attachments: [image, notes] } },
    ]);
  });

  test("files alone are a message; nothing at all is refused", () => {
    const spec = on("openai/gpt-4o");
    expect(given(spec, "s1", [created]).when("send", { text: "", attachments: [notes] }).events).toHaveLength(1);
    expect(() => given(spec, "s1", [created]).when("send", { text: "  " })).toThrow(expect.objectContaining({ code: "bad_request" }));
  });

  test("images for a model known to be blind are refused before anything is written; text files are fine", () => {
    const spec = on("openai/gpt-3.5-turbo");
    expect(() => given(spec, "s1", [created]).when("send", { text: "see", attachments: [image] })).toThrow(
      expect.objectContaining({ code: "model_no_vision", message: expect.stringContaining("dot.png") }),
    );
    expect(given(spec, "s1", [created]).when("send", { text: "read", attachments: [notes] }).events).toHaveLength(1);
  });

  test("a model nobody knows about gets the images (its provider answers for itself)", () => {
    expect(given(on("ollama/some-model"), "s1", [created]).when("send", { text: "see", attachments: [image] }).events).toHaveLength(1);
  });
});
