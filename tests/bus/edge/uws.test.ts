import { createRequire } from "node:module";
import { expect, test } from "vitest";
import uWS from "uWebSockets.js";
import { assertNativeUws, isNativeUws } from "../../../bus/edge/uws.ts";

test("the installed uWS is the native binary on this Node", () => {
  expect(isNativeUws(uWS)).toBe(true);
  expect(() => assertNativeUws()).not.toThrow();
});

test("the package's JS fallback shim is detected and refused", () => {
  // What the package's entry file returns when no binary matches the Node ABI.
  const shim = createRequire(import.meta.url)("uWebSockets.js/dist/index.js");
  expect(typeof shim.App).toBe("function");
  expect(isNativeUws(shim)).toBe(false);
  expect(() => assertNativeUws(shim)).toThrow(/slow JavaScript shim/);
  expect(isNativeUws(undefined)).toBe(false);
});
