import { createRequire } from "node:module";
import { expect, test } from "vitest";
import uWS from "uWebSockets.js";
import { isNativeUws, loadTransport } from "../../../bus/edge/index.ts";
import { CairnError } from "../../../schemas/index.ts";

// The native binaries of the installed uWS cover Node ≤ 20 (ABI ≤ 115).
const nativeHere = Number(process.versions.modules) <= 115;

test.runIf(nativeHere)("the installed uWS is the native binary on this Node, and auto picks it", () => {
  expect(isNativeUws(uWS)).toBe(true);
  expect(loadTransport(undefined).name).toBe("uws");
  expect(loadTransport("uws").name).toBe("uws");
});

test.skipIf(nativeHere)("without a native uWS, auto picks node and a forced uws is refused with advice", () => {
  expect(loadTransport(undefined).name).toBe("node");
  const err = (() => {
    try {
      loadTransport("uws");
    } catch (e) {
      return e;
    }
  })();
  expect(err).toBeInstanceOf(CairnError);
  expect((err as CairnError).code).toBe("unavailable");
  expect((err as CairnError).message).toMatch(/CAIRN_EDGE_TRANSPORT/);
});

test("the package's JS fallback shim is detected and never used", () => {
  // What the package's entry file returns when no binary matches the Node ABI.
  const shim = createRequire(import.meta.url)("uWebSockets.js/dist/index.js");
  expect(typeof shim.App).toBe("function");
  expect(isNativeUws(shim)).toBe(false);
  expect(isNativeUws(undefined)).toBe(false);
});

test("node can be forced; an unknown choice is a bad_request", () => {
  expect(loadTransport("node").name).toBe("node");
  expect(loadTransport(" NODE ").name).toBe("node");
  expect(() => loadTransport("nginx")).toThrow(expect.objectContaining({ code: "bad_request" }));
});
