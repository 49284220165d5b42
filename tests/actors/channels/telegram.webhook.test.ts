/**
 * The webhook's secret: what Telegram must echo. Derived from the bot token, so every gateway and
 * restart agree without storing it; it must be one Telegram accepts and must not reveal the token.
 */
import { describe, expect, it } from "vitest";
import { webhookSecret } from "../../../actors/channels/index.ts";

describe("webhookSecret", () => {
  it("is stable per token, differs between tokens, fits Telegram's secret_token and hides the token", () => {
    const token = "123456:TEST-token_for-the-scripted-bot-api";
    const s = webhookSecret(token);
    expect(webhookSecret(token)).toBe(s);
    expect(webhookSecret(`${token}x`)).not.toBe(s);
    expect(s).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(s).not.toContain("123456");
    expect(s).not.toContain("TEST");
  });
});
