import { describe, expect, it } from "vitest";
import { displayUrl, redact, retryAfterSeconds } from "../../../actors/llm/provider.errors.ts";

describe("provider error helpers", () => {
  it("redact removes the key, key-shaped tokens, and short keys only as whole words", () => {
    expect(redact("bad key sk-live-abcdef0123456789 given", "sk-live-abcdef0123456789")).toBe("bad key [redacted] given");
    expect(redact("Incorrect API key provided: sk-pr************wxyz.", "other")).toBe("Incorrect API key provided: [redacted].");
    expect(redact("invalid x-api-key (k)", "k")).toBe("invalid x-api-key ([redacted])");
  });

  it("displayUrl drops credentials from a base URL", () => {
    expect(displayUrl("http://user:secret@127.0.0.1:8080/v1")).toBe("http://127.0.0.1:8080/v1");
    expect(displayUrl("https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
    expect(displayUrl("not a url")).toBe("not a url");
  });

  it("retryAfterSeconds reads retry-after-ms, seconds and HTTP dates", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterSeconds(new Headers({ "retry-after": "12" }), now)).toBe(12);
    expect(retryAfterSeconds(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(1.5);
    expect(retryAfterSeconds(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:42 GMT" }), now)).toBe(42);
    expect(retryAfterSeconds(new Headers({ "retry-after": "soon" }), now)).toBeNull();
    expect(retryAfterSeconds(new Headers(), now)).toBeNull();
    expect(retryAfterSeconds(undefined, now)).toBeNull();
  });
});
