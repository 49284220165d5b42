import * as Schema from "effect/Schema";
import { NodePublicKey } from "../nodes.ts";

/**
 * Events of one node (`evt.node.<nodeId>`): its pairing and its trust. The key a node paired with
 * is the node's identity (trust on first use); another key for the same id is refused and leaves a
 * `node.key_mismatch` behind as an alert. Presence and telemetry are not events (they churn).
 */

const RequestId = Schema.String.check(Schema.isMaxLength(64));

/** A signed, timely, never-seen pairing request arrived while the window was open. */
export const NodePairingRequested = Schema.Struct({
  requestId: RequestId,
  name: Schema.String,
  publicKey: NodePublicKey,
  /** `SHA256:<base64>` of the raw Ed25519 public key: what a person compares before approving. */
  fingerprint: Schema.String,
  /** The HTTP client's address as the edge saw it (null when not known). */
  address: Schema.NullOr(Schema.String),
  hostname: Schema.String,
  platform: Schema.String,
  workingDir: Schema.String,
  /** Kept so the same signed request can never be recorded twice (replay). */
  nonce: Schema.String,
});

export const NodeApproved = Schema.Struct({ requestId: RequestId, by: Schema.String });
export const NodeRejected = Schema.Struct({ requestId: RequestId, by: Schema.String });
/** The node's credentials are revoked on the bus; it stays out until it pairs again. */
export const NodeRevoked = Schema.Struct({ by: Schema.String });
/** Someone presented another key for this node id: refused, recorded as an alert. */
export const NodeKeyMismatch = Schema.Struct({
  publicKey: NodePublicKey,
  fingerprint: Schema.String,
  address: Schema.NullOr(Schema.String),
});

export const nodeEvents = {
  "node.pairing_requested": { version: 1, schema: NodePairingRequested },
  "node.approved": { version: 1, schema: NodeApproved },
  "node.rejected": { version: 1, schema: NodeRejected },
  "node.revoked": { version: 1, schema: NodeRevoked },
  "node.key_mismatch": { version: 1, schema: NodeKeyMismatch },
} as const;

/**
 * Events of the pairing window (`evt.pairing.window`): closed by default; opened for a while by a
 * person; closed by a person or by its own deadline (`expired`, written by the gateway's timer).
 */
export const PairingOpened = Schema.Struct({ until: Schema.Number, by: Schema.String });
export const PairingClosed = Schema.Struct({ by: Schema.String, reason: Schema.Literals(["closed", "expired"]) });

export const pairingEvents = {
  "pairing.opened": { version: 1, schema: PairingOpened },
  "pairing.closed": { version: 1, schema: PairingClosed },
} as const;
