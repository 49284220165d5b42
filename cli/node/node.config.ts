/**
 * `node.json`: what `cairn node add` decided and `cairn node run` (the service) reads. Decoded on
 * every read (a hand-edited file with a typo names the field), written atomically.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as Schema from "effect/Schema";
import { decodeLenient, CairnError, NodeId } from "../../schemas/index.ts";

export const NodeConfig = Schema.Struct({
  /** The gateway's HTTP base URL (pairing goes there). */
  gatewayUrl: Schema.String,
  name: Schema.String,
  nodeId: NodeId,
  workingDir: Schema.String,
  /** The node's own cap on a command, seconds. */
  timeoutSeconds: Schema.Number,
  /** Where the bus is; null until the gateway approved this node. */
  natsUrl: Schema.NullOr(Schema.String),
  pairedAt: Schema.NullOr(Schema.Number),
  /** The approved pairing request: lets the node ask the gateway again for the NATS certificate. */
  requestId: Schema.optionalKey(Schema.String),
  /**
   * The gateway's NATS certificate (PEM), pinned: the agent accepts exactly this one. Absent while
   * the gateway's NATS is plain (loopback); fetched once when a gateway turned TLS on later.
   */
  natsCaPem: Schema.optionalKey(Schema.String),
});
export type NodeConfig = typeof NodeConfig.Type;

export function readNodeConfig(file: string): NodeConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CairnError("unavailable", `cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CairnError(
      "bad_request",
      `${file} is not JSON (${(e as Error).message}); fix it or run 'cairn node remove' and add the node again`,
    );
  }
  return decodeLenient(NodeConfig, json, file);
}

/** Atomic write, 0600: the file names the gateway and this node. */
export function writeJsonFile(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export const writeNodeConfig = (file: string, config: NodeConfig): void => writeJsonFile(file, config);

export const removeFile = (file: string): boolean => {
  try {
    rmSync(file);
    return true;
  } catch {
    return false;
  }
};
