/**
 * The UI restates the few protocol values it needs at run time (importing them from `schemas/`
 * would bundle effect). Types tie the literals to the schemas; this checks what types cannot.
 */
import { expect, test } from "vitest";
import { PROTOCOL_VERSION as SERVER_PROTOCOL, TOKEN_PATTERN as SERVER_TOKEN } from "../../schemas/index.ts";
import { PROTOCOL_VERSION, TOKEN_PATTERN } from "../../ui/src/lib/protocol.ts";

test("the UI speaks the gateway's protocol version", () => {
  expect(PROTOCOL_VERSION).toBe(SERVER_PROTOCOL);
});

test("the UI accepts exactly the ids the gateway accepts", () => {
  expect(TOKEN_PATTERN.source).toBe(SERVER_TOKEN.source);
  expect(TOKEN_PATTERN.flags).toBe(SERVER_TOKEN.flags);
});

test("the UI offers exactly the gateway's scopes and password bounds", async () => {
  const server = await import("../../schemas/index.ts");
  const ui = await import("../../ui/src/lib/protocol.ts");
  expect(ui.SCOPES).toEqual(server.SCOPES);
  expect(ui.MIN_PASSWORD_CHARS).toBe(server.MIN_PASSWORD_CHARS);
  expect(ui.MAX_PASSWORD_CHARS).toBe(server.MAX_PASSWORD_CHARS);
});
