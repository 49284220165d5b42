import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { CairnError, MAX_JSON_DEPTH, jsonNestsDeeperThan, parseJsonBounded } from "../../schemas/index.ts";

/** The nesting of a parsed value, the slow obvious way (recursion is fine for test-sized values). */
const depthOf = (v: unknown): number =>
  Array.isArray(v)
    ? 1 + Math.max(0, ...v.map(depthOf))
    : v !== null && typeof v === "object"
      ? 1 + Math.max(0, ...Object.values(v).map(depthOf))
      : 0;

describe("jsonNestsDeeperThan", () => {
  test("agrees with the depth of the parsed value, brackets in strings and escapes included", () => {
    const text = fc.oneof(
      fc.jsonValue({ maxDepth: 15 }).map((v) => JSON.stringify(v)),
      // Strings full of brackets, quotes and backslashes: only real nesting may count.
      fc
        .array(fc.constantFrom("[", "]", "{", "}", '"', "\\", "a"), { maxLength: 20 })
        .map((cs) => JSON.stringify([cs.join(""), { [cs.join("")]: [[cs]] }])),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 16 }), (t, limit) => {
        expect(jsonNestsDeeperThan(t, limit)).toBe(depthOf(JSON.parse(t)) > limit);
      }),
      { numRuns: 2_000 },
    );
  });

  test("100,000 nested brackets: refused with a typed bad_request, no stack overflow", () => {
    for (const text of [
      "[".repeat(100_000) + "]".repeat(100_000),
      `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`,
      "[".repeat(100_000),
    ]) {
      let error: unknown;
      try {
        parseJsonBounded(text, "the body");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CairnError);
      expect(error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/nesting too deep/) });
    }
  });

  test("exactly MAX_JSON_DEPTH levels parse; one more does not; not-JSON is bad_request", () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(parseJsonBounded(nested(MAX_JSON_DEPTH), "x")).toBeInstanceOf(Array);
    expect(() => parseJsonBounded(nested(MAX_JSON_DEPTH + 1), "x")).toThrow(/nesting too deep/);
    expect(() => parseJsonBounded("{nope", "x")).toThrow(expect.objectContaining({ code: "bad_request" }));
  });
});
