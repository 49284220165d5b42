import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRetryable, retryAfterOf } from "../../../actors/llm/index.ts";
import { CairnError, type WireError } from "../../../schemas/errors.ts";
import { startLlmServer, type LlmServer, type ReplyScript } from "../../fixtures/llm-server/index.ts";
import { closedPort, collect, PROVIDER_CASES } from "./llm.helpers.ts";

describe("isRetryable", () => {
  const table: Array<[WireError, boolean]> = [
    [{ code: "provider_rate_limited", message: "", details: { status: 429, retryAfterSeconds: 3 } }, true],
    [{ code: "provider_overloaded", message: "", details: { status: 529 } }, true],
    [{ code: "provider_unreachable", message: "" }, true],
    [{ code: "timeout", message: "" }, true],
    [{ code: "provider_stream_cut", message: "", details: { receivedChars: 0 } }, true],
    [{ code: "provider_error", message: "", details: { status: 500 } }, true],
    [{ code: "provider_error", message: "", details: { status: 502 } }, true],
    [{ code: "provider_error", message: "", details: { status: 408 } }, true],
    [{ code: "provider_error", message: "", details: { midStream: true, type: "api_error" } }, true],
    [{ code: "provider_error", message: "", details: { status: 400 } }, false],
    [{ code: "provider_error", message: "", details: { status: 422 } }, false],
    [{ code: "provider_error", message: "" }, false], // malformed stream, SDK refusal: would repeat
    [{ code: "provider_error", message: "", details: { midStream: true, type: "invalid_request_error" } }, false],
    [{ code: "provider_auth", message: "", details: { status: 401 } }, false],
    [{ code: "model_unknown", message: "" }, false],
    [{ code: "model_not_configured", message: "" }, false],
    [{ code: "context_too_long", message: "", details: { status: 400 } }, false],
    [{ code: "bad_request", message: "" }, false],
    [{ code: "run_interrupted", message: "" }, false],
    [{ code: "model_load_failed", message: "" }, false],
  ];
  it.each(table)("%o → %s", (e, expected) => {
    expect(isRetryable(e)).toBe(expected);
    // The CairnError and its wire form agree.
    expect(isRetryable(new CairnError(e.code, e.message, e.details))).toBe(expected);
  });

  it("retryAfterOf reads the provider's Retry-After from the details", () => {
    expect(retryAfterOf({ code: "provider_rate_limited", details: { retryAfterSeconds: 7 } })).toBe(7);
    expect(retryAfterOf({ code: "provider_overloaded", details: { retryAfterSeconds: null } })).toBeNull();
    expect(retryAfterOf({ code: "provider_unreachable" })).toBeNull();
  });
});

describe.each(PROVIDER_CASES)("$id: errors from the real SDK classify as retryable or not", (pc) => {
  let server: LlmServer;
  beforeAll(async () => {
    server = await startLlmServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const cases: Array<[string, ReplyScript, boolean]> = [
    ["400 bad request", { error: { status: 400, message: "messages: roles must alternate" } }, false],
    [
      "400 context too long",
      { error: { status: 400, message: "prompt is too long: 300000 tokens > 200000 maximum", code: "context_length_exceeded" } },
      false,
    ],
    ["401", { error: { status: 401 } }, false],
    ["404", { error: { status: 404 } }, false],
    ["429", { error: { status: 429, headers: { "retry-after": "2" } } }, true],
    ["500", { error: { status: 500 } }, true],
    ["503", { error: { status: 503 } }, true],
    ["529", { error: { status: 529 } }, true],
    ["cut before the first token", { chunks: ["a"], disconnectAfterChunks: 0 }, true],
    ["overloaded mid-stream", { chunks: ["a", "b"], streamError: { afterChunks: 1 } }, true],
  ];
  it.each(cases)("%s", async (_name, script, expected) => {
    server.script(script);
    const got = await collect(pc.make(server).stream({ model: "m", messages: [{ role: "user", text: "x" }] }));
    expect(got.error).not.toBeNull();
    expect(isRetryable(got.error!)).toBe(expected);
    expect(isRetryable(got.error!.toWire())).toBe(expected);
  });

  it("connection refused", async () => {
    const port = await closedPort();
    const got = await collect(
      pc.make(server, { baseURL: `http://127.0.0.1:${port}/v1` }).stream({ model: "m", messages: [{ role: "user", text: "x" }] }),
    );
    expect(got.error?.code).toBe("provider_unreachable");
    expect(isRetryable(got.error!)).toBe(true);
  });
});
