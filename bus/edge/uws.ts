import uWS from "uWebSockets.js";
import { CairnError } from "../../schemas/index.ts";

/**
 * The uWebSockets.js module, and the check that it is the real thing. The package silently swaps in
 * a pure-JS shim (built on `ws`) when no native binary matches this Node ABI (it ships binaries
 * for Node ≤ 20 only) or when UWS_USE_FALLBACK is set. The shim lacks most of the native exports,
 * among them `getParts` and `SSLApp`; their presence is the tell.
 */
export const isNativeUws = (mod: unknown): boolean => {
  if (typeof mod !== "object" || mod === null) return false;
  const m = mod as Record<string, unknown>;
  return typeof m.App === "function" && typeof m.SSLApp === "function" && typeof m.getParts === "function";
};

/** Throws `unavailable` unless the native uWS binary is loaded. */
export const assertNativeUws = (mod: unknown = uWS): void => {
  if (isNativeUws(mod)) return;
  throw new CairnError(
    "unavailable",
    `uWebSockets.js fell back to its slow JavaScript shim (no native binary for Node ${process.version}, ` +
      `ABI ${process.versions.modules}, or UWS_USE_FALLBACK is set); cairn needs Node 20 (see DESIGN.md §7)`,
  );
};

export { uWS };
