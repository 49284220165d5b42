import { describe, expect, test } from "vitest";
import { legacyRedirect, settingsHash, viewFromHash } from "../../ui/src/lib/route.ts";
import { SETTINGS_SECTIONS } from "../../ui/src/components/settings/sections.ts";

describe("the Settings routes", () => {
  test("#/settings is the list; #/settings/<section> a section; anything else the chat", () => {
    expect(viewFromHash("#/settings")).toBe("settings");
    for (const s of SETTINGS_SECTIONS) expect(viewFromHash(settingsHash(s.id))).toBe(s.id);
    expect(viewFromHash("#/settings/Nope!")).toBe("chat");
    expect(viewFromHash("#/s/abc")).toBe("chat");
    expect(viewFromHash("")).toBe("chat");
  });

  test("the old top-level pages redirect to their section; other hashes do not", () => {
    for (const old of ["providers", "nodes", "security", "cron", "mcp", "hooks", "channels", "monitoring"]) {
      expect(legacyRedirect(`#/${old}`)).toBe(`#/settings/${old}`);
      expect(viewFromHash(`#/${old}`)).toBe(old);
    }
    expect(legacyRedirect("#/settings")).toBeUndefined();
    expect(legacyRedirect("#/s/key")).toBeUndefined();
    expect(legacyRedirect("#/nope")).toBeUndefined();
  });

  test("section ids are unique (each is a route)", () => {
    const ids = SETTINGS_SECTIONS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
