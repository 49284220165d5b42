/**
 * Getting the gateway's NATS certificate after pairing: a node approved while the gateway's NATS
 * was plain (loopback) has none pinned, and the gateway later turned TLS on. The node asks again
 * with a signed status poll of the request that was approved; the answer carries the PEM.
 *
 * Only ever fills an empty pin. A pinned certificate is never replaced this way: anyone able to
 * break the node's connection could otherwise swap in their own. (Before the pin, the node spoke
 * plain NATS over the same network, so fetching the first one over the pairing channel loses
 * nothing; a gateway whose certificate really changed needs `cairn node remove` + `add`.)
 */
import { X509Certificate } from "node:crypto";
import { CairnError } from "../../schemas/index.ts";
import { loadIdentity } from "./identity.ts";
import { readNodeConfig, writeNodeConfig } from "./node.config.ts";
import type { NodePaths } from "./node.paths.ts";
import { pollPairingStatus, type FetchLike } from "./pairing.client.ts";

/** Fetches and pins the certificate; returns its SHA-256 fingerprint. Throws a `CairnError` saying what to do otherwise. */
export async function fetchPinnedCertificate(np: NodePaths, fetchImpl?: FetchLike): Promise<string> {
  const config = readNodeConfig(np.configFile);
  const identity = loadIdentity(np);
  if (!config || !identity)
    throw new CairnError("bad_request", `this node is not paired (${np.configFile}); run 'cairn node add --host <gateway url>'`);
  if (config.natsCaPem) return new X509Certificate(config.natsCaPem).fingerprint256;
  if (!config.requestId) {
    throw new CairnError(
      "bad_request",
      "this node was paired before the gateway used TLS and cannot ask for its certificate; run 'cairn node remove', then 'cairn node add' (needs a new approval)",
    );
  }
  const client = {
    gatewayUrl: config.gatewayUrl,
    identity,
    nodeId: config.nodeId,
    name: config.name,
    workingDir: config.workingDir,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
  const r = await pollPairingStatus(client, config.requestId);
  if (r.status !== "approved")
    throw new CairnError(
      r.status === "revoked" ? "node_revoked" : "unauthorized",
      `the gateway says this node is ${r.status}; pair again with 'cairn node add'`,
    );
  if (!r.natsCaPem) throw new CairnError("unavailable", "the gateway sent no NATS certificate (its NATS is not using TLS)");
  const fingerprint = new X509Certificate(r.natsCaPem).fingerprint256;
  writeNodeConfig(np.configFile, { ...config, natsCaPem: r.natsCaPem });
  return fingerprint;
}
