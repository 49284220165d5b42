import { describe, expect, it } from "vitest";
import { parseHookMd } from "../../../actors/hooks/index.ts";

describe("HOOK.md", () => {
  it("reads the seed's TOML front matter and the prose after it", () => {
    const doc = parseHookMd(
      `+++
name = "my-hook"
description = "Logs all tool calls to a file"
events = ["BeforeToolCall", "AfterToolCall"]
command = "./handler.sh"
timeout = 5

[requires]
os = ["darwin", "linux"]
bins = ["jq"]
env = ["LOG_FILE"]
+++

# My Hook

This hook logs all tool calls for auditing purposes.
`,
      "HOOK.md",
    );
    expect(doc.front).toEqual({
      name: "my-hook",
      description: "Logs all tool calls to a file",
      events: ["BeforeToolCall", "AfterToolCall"],
      command: "./handler.sh",
      timeout: 5,
      requires: { os: ["darwin", "linux"], bins: ["jq"], env: ["LOG_FILE"] },
    });
    expect(doc.body).toBe("# My Hook\n\nThis hook logs all tool calls for auditing purposes.");
  });

  it("reads YAML front matter too", () => {
    const doc = parseHookMd("---\nname: y\nevents: [SessionStart]\ncommand: ./h.sh\npriority: 7\n---\nbody\n", "HOOK.md");
    expect(doc.front).toEqual({ name: "y", events: ["SessionStart"], command: "./h.sh", priority: 7 });
    expect(doc.body).toBe("body");
  });

  it.each([
    ["no front matter", "# just prose", /starts with front matter/],
    ["unclosed", "+++\nname = 'x'\n", /not closed/],
    ["bad TOML", "+++\nname = \n+++\n", /not valid TOML/],
    ["unknown event", "+++\nname = 'x'\nevents = ['BeforeCompaction']\ncommand = 'x'\n+++\n", /events/],
    ["unknown key", "+++\nname = 'x'\nevents = ['SessionStart']\ncommand = 'x'\nwhen = 1\n+++\n", /when/],
    ["bad name", "+++\nname = 'a b'\nevents = ['SessionStart']\ncommand = 'x'\n+++\n", /hook name/],
  ])("refuses %s with hook_invalid naming the file", (_, text, message) => {
    expect(() => parseHookMd(text, "/x/HOOK.md")).toThrow(
      expect.objectContaining({ code: "hook_invalid", message: expect.stringMatching(message) }),
    );
    expect(() => parseHookMd(text, "/x/HOOK.md")).toThrow(/\/x\/HOOK\.md/);
  });
});
