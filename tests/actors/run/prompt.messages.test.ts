import { describe, expect, test } from "vitest";
import { CANCELLED_NOTE, INTERRUPTED_NOTE, promptMessages } from "../../../actors/run/index.ts";
import type { TranscriptMessage } from "../../../actors/session/session.transcript.ts";

const msg = (
  id: string,
  role: "user" | "assistant",
  text: string,
  status: TranscriptMessage["status"] = "complete",
): TranscriptMessage => ({
  id,
  role,
  text,
  runId: role === "assistant" ? `r-${id}` : null,
  status,
  at: 0,
  error: null,
});

describe("what the model sees of earlier turns", () => {
  test("failed replies are left out; stopped and interrupted ones stay, marked; nothing after the trigger", () => {
    const t = [
      msg("u1", "user", "one"),
      msg("a1", "assistant", "partial", "failed"),
      msg("u2", "user", "two"),
      msg("a2", "assistant", "half a", "cancelled"),
      msg("u3", "user", "three"),
      msg("a3", "assistant", "", "interrupted"),
      msg("u4", "user", "four"),
      msg("a4", "assistant", "done"),
      msg("u5", "user", "five"),
    ];
    expect(promptMessages(t, "u4")).toEqual([
      { role: "user", text: "one" },
      { role: "user", text: "two" },
      { role: "assistant", text: `half a\n\n${CANCELLED_NOTE}` },
      { role: "user", text: "three" },
      { role: "assistant", text: INTERRUPTED_NOTE },
      { role: "user", text: "four" },
    ]);
  });
});
