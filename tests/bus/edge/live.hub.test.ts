/**
 * How the edge frames a live message for every tab: once, by splicing the bus payload into an
 * event frame (no decode and re-encode per token), with the session's key added to the payload.
 */
import { expect, test } from "vitest";
import { framer } from "../../../bus/edge/live.hub.ts";

test("a framed payload is the event frame the protocol defines, with extra fields in the payload", () => {
  const raw = JSON.stringify({ type: "run.delta", runId: "r1", index: 3, text: 'a "quoted"\n{brace}' });
  expect(JSON.parse(framer("chat", { sessionKey: 'k"1' })(raw))).toEqual({
    type: "event",
    event: "chat",
    payload: { sessionKey: 'k"1', type: "run.delta", runId: "r1", index: 3, text: 'a "quoted"\n{brace}' },
  });
  expect(JSON.parse(framer("sessions")(JSON.stringify({ type: "sessions.changed", checkpoint: 9 })))).toEqual({
    type: "event",
    event: "sessions",
    payload: { type: "sessions.changed", checkpoint: 9 },
  });
});
