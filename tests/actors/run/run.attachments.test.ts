import { describe, expect, test } from "vitest";
import { imagesAsNotes, readAttachments, type PromptMessage } from "../../../actors/run/run.attachments.ts";
import type { Attachment } from "../../../schemas/index.ts";

const image: Attachment = { sha256: "a".repeat(64), name: "dot.png", mime: "image/png", size: 3, kind: "image" };
const notes: Attachment = { sha256: "b".repeat(64), name: "notes.md", mime: "text/plain", size: 6, kind: "text" };
const stored = new Map([
  [image.sha256, Buffer.from([1, 2, 3])],
  [notes.sha256, Buffer.from("- eggs")],
]);
const read = async (sha: string) => {
  const b = stored.get(sha);
  if (!b) throw new Error("missing");
  return b;
};

describe("attachments in the prompt", () => {
  test("a text file joins the message's text, an image becomes an inline part", async () => {
    const msgs: PromptMessage[] = [
      { role: "user", text: "look", attachments: [image, notes] },
      { role: "assistant", text: "ok" },
    ];
    expect(await readAttachments(msgs, read)).toEqual([
      {
        role: "user",
        text: 'look\n\n<file name="notes.md">\n- eggs\n</file>',
        images: [{ name: "dot.png", mime: "image/png", base64: "AQID" }],
      },
      { role: "assistant", text: "ok" },
    ]);
  });

  test("a file the store lost (or no store) is a note, never a silent gap", async () => {
    const lost: Attachment = { ...notes, sha256: "c".repeat(64), name: "gone.txt" };
    const [m] = await readAttachments([{ role: "user", text: "", attachments: [lost] }], read);
    expect(m.text).toContain("gone.txt is no longer in the gateway's attachment store");
    const [n] = await readAttachments([{ role: "user", text: "x", attachments: [image] }], undefined);
    expect(n).toEqual({ role: "user", text: "x\n\n[attachment dot.png is no longer in the gateway's attachment store]" });
  });

  test("a model without vision reads a note naming the images instead of getting them", () => {
    const out = imagesAsNotes(
      [{ role: "user", text: "see", images: [{ name: "dot.png", mime: "image/png", base64: "AQID" }] }],
      "local/tiny",
    );
    expect(out).toEqual([
      { role: "user", text: "see\n\n[the user attached an image (dot.png); local/tiny cannot see images, so it was not sent]" },
    ]);
  });
});
