import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CairnError } from "../../../schemas/index.ts";
import type { Transport, TransportName, TransportOptions } from "./transport.types.ts";
import { createUwsTransport, isNativeUws, type UwsModule } from "./uws.transport.ts";

/**
 * Which transport serves the edge: uWebSockets.js where a native build loads for this Node and
 * libc, otherwise node:http + ws. Never uWS's JavaScript shim: it is slower than plain `ws` and
 * lacks the API the uWS transport relies on. `CAIRN_EDGE_TRANSPORT=uws|node` forces one.
 */

export const TRANSPORT_ENV = "CAIRN_EDGE_TRANSPORT";

export interface TransportFactory {
  name: TransportName;
  /** A new, unstarted transport (one per edge); its library is loaded on first use. */
  create(options?: TransportOptions): Promise<Transport>;
}

const require = createRequire(import.meta.url);

/**
 * The uWS packages tried, in order. Only the trufflesuite build is installed: its binaries cover
 * Node ≤ 20 (ABI ≤ 115) on glibc ≥ 2.36. (`@btc-vision/uwebsockets.js` covers Node 20–25 but
 * needs glibc 2.38; it is not a dependency.)
 */
const UWS_PACKAGES = ["uWebSockets.js"] as const;

type UwsProbe = { mod: UwsModule } | { why: string };

/**
 * Loads a native uWS build. The trufflesuite package is probed for its binary first: requiring it
 * without one prints a warning and returns the shim, which `isNativeUws` would refuse anyway.
 */
const probeUws = (pkg: string): UwsProbe => {
  const binary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    const dir = dirname(require.resolve(`${pkg}/package.json`));
    if (existsSync(join(dir, "src", "uws.js")) && !existsSync(join(dir, "binaries", binary))) {
      return { why: `${pkg} has no native build for Node ${process.version} (ABI ${process.versions.modules})` };
    }
    const mod: unknown = require(pkg);
    if (isNativeUws(mod)) return { mod };
    return { why: `${pkg} fell back to its JavaScript shim (its native build does not load here, or UWS_USE_FALLBACK is set)` };
  } catch (e) {
    return { why: `${pkg} does not load: ${String(e).split("\n")[0]}` };
  }
};

let uwsCache: UwsProbe | undefined;
const loadUws = (): UwsProbe => {
  if (uwsCache) return uwsCache;
  const reasons: string[] = [];
  for (const pkg of UWS_PACKAGES) {
    const probe = probeUws(pkg);
    if ("mod" in probe) {
      uwsCache = probe;
      return probe;
    }
    reasons.push(probe.why);
  }
  uwsCache = { why: reasons.join("; ") };
  return uwsCache;
};

// Imported when chosen: where uWS serves, node:http + ws (and ws's native helpers) stay unloaded.
const nodeFactory: TransportFactory = { name: "node", create: async (o) => (await import("./node.transport.ts")).createNodeTransport(o) };

/**
 * Chooses the edge transport. `choice` is `auto` (default), `uws` or `node`, normally from
 * `CAIRN_EDGE_TRANSPORT`. Throws `unavailable` when uws is forced and no native build loads, and
 * `bad_request` for an unknown choice.
 */
export function loadTransport(choice: string | undefined = process.env[TRANSPORT_ENV]): TransportFactory {
  const wanted = (choice ?? "").trim().toLowerCase() || "auto";
  if (wanted === "node") return nodeFactory;
  if (wanted !== "uws" && wanted !== "auto") {
    throw new CairnError(
      "bad_request",
      `${TRANSPORT_ENV}=${choice} is not a transport; use uws, node, or leave it unset to choose automatically`,
    );
  }
  const uws = loadUws();
  if ("mod" in uws) {
    const mod = uws.mod;
    return { name: "uws", create: async (o) => createUwsTransport(mod, o) };
  }
  if (wanted === "uws") {
    throw new CairnError(
      "unavailable",
      `${TRANSPORT_ENV}=uws, but no native uWebSockets.js build loads here (${uws.why}); ` +
        `unset ${TRANSPORT_ENV} (or set it to node) to serve with node:http + ws, or run on Node 20 with glibc ≥ 2.36`,
    );
  }
  return nodeFactory;
}
