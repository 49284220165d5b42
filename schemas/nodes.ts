import * as Schema from "effect/Schema";
import { TOKEN_PATTERN } from "./ids.ts";

/**
 * The node protocol. A node is a separate machine (a `cairn node` process) that pairs with the
 * gateway over HTTP, then joins the bus as a NATS user whose key is the node's own Ed25519 key
 * (NATS does the challenge–response on every connection) and whose JWT only allows its own
 * subjects: it subscribes to `node.<id>.in.>` and publishes to `node.<id>.out.>`, nothing else.
 */

/** Node ids travel in subjects: one token, 1-64 of letters, digits, '_' or '-'. */
export const NodeId = Schema.String.check(
  Schema.isPattern(TOKEN_PATTERN, { message: "a node id is 1-64 characters of letters, digits, '_' or '-'" }),
);
export type NodeId = typeof NodeId.Type;

/** A NATS user public nkey (`U` + base32): the node's Ed25519 public key. */
export const NodePublicKey = Schema.String.check(
  Schema.isPattern(/^U[A-Z2-7]{55}$/, { message: "a public key is a NATS user nkey (U...)" }),
);

const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100));
/** Signed requests are accepted within this window of the gateway's clock (replays outside it are refused). */
export const PAIRING_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * `POST /api/nodes/pair` (and `admin.nodes.pair_request` behind it). `signature` is the node key's
 * Ed25519 signature (base64url) over `pairingRequestText(...)`: it proves the requester holds the
 * private key. `nonce` (random, base64url) makes every request unique; a nonce seen before is a replay.
 */
export const PairingRequest = Schema.Struct({
  nodeId: NodeId,
  name: Name,
  publicKey: NodePublicKey,
  hostname: Schema.String.check(Schema.isMaxLength(255)),
  platform: Schema.String.check(Schema.isMaxLength(64)),
  workingDir: Schema.String.check(Schema.isMaxLength(4096)),
  /** Epoch ms on the node's clock. */
  timestamp: Schema.Number,
  nonce: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{16,128}$/)),
  signature: Schema.String.check(Schema.isMaxLength(256)),
});
export type PairingRequest = typeof PairingRequest.Type;

/** The exact text a pairing request's signature covers. */
export const pairingRequestText = (r: Omit<PairingRequest, "signature">): string =>
  ["cairn-pair-v1", r.nodeId, r.publicKey, r.name, r.hostname, r.platform, r.workingDir, String(r.timestamp), r.nonce].join("\n");

export const PairingRequestResult = Schema.Struct({
  requestId: Schema.String,
  status: Schema.Literals(["pending", "approved"]),
  fingerprint: Schema.String,
});

/** `POST /api/nodes/pair/status`: the node polls for the decision, signing `pairingStatusText(...)`. */
export const PairingStatusRequest = Schema.Struct({
  requestId: Schema.String.check(Schema.isMaxLength(64)),
  publicKey: NodePublicKey,
  timestamp: Schema.Number,
  signature: Schema.String.check(Schema.isMaxLength(256)),
});
export type PairingStatusRequest = typeof PairingStatusRequest.Type;
export const pairingStatusText = (r: Omit<PairingStatusRequest, "signature">): string =>
  ["cairn-pair-status-v1", r.requestId, r.publicKey, String(r.timestamp)].join("\n");

/** Approved: the user JWT minted for the node's key (useless without its seed) and where NATS is. */
export const PairingStatusResult = Schema.Struct({
  status: Schema.Literals(["pending", "approved", "rejected", "revoked"]),
  nodeId: NodeId,
  jwt: Schema.optionalKey(Schema.String),
  /** Port of the gateway's NATS server; the node dials the host it paired with unless `natsUrl` is given. */
  natsPort: Schema.optionalKey(Schema.Number),
  natsUrl: Schema.optionalKey(Schema.String),
  /**
   * The NATS server's self-signed certificate (PEM) when it requires TLS (it listens off loopback).
   * The node pins exactly this certificate, trusted on first use like the approval itself.
   */
  natsCaPem: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(16_384))),
  /** Its SHA-256 fingerprint (`AB:CD:...`), for the node to print and the user to compare. */
  natsCertFingerprint: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128))),
});
export type PairingStatusResult = typeof PairingStatusResult.Type;

/** Telemetry a node reports every 30 s (and in its hello). Never key values, only their presence. */
export const NodeTelemetry = Schema.Struct({
  cpus: Schema.Number,
  /** 0..1 over the last interval. */
  cpuUsage: Schema.Number,
  memTotal: Schema.Number,
  memFree: Schema.Number,
  diskTotal: Schema.Number,
  diskFree: Schema.Number,
  uptimeSeconds: Schema.Number,
  /** e.g. { python: "3.11.2", node: "20.20.2" }; absent runtimes are left out. */
  runtimes: Schema.Record(Schema.String, Schema.String),
  /** Local LLM providers: Ollama's models (when it answers) and which API key variables are set. */
  providers: Schema.Struct({ ollama: Schema.NullOr(Schema.Array(Schema.String)), apiKeys: Schema.Array(Schema.String) }),
  at: Schema.Number,
});
export type NodeTelemetry = typeof NodeTelemetry.Type;

/** `node.<id>.out.hello`: published on every (re)connect. */
export const NodeHello = Schema.Struct({
  nodeId: NodeId,
  name: Name,
  version: Schema.String,
  hostname: Schema.String,
  platform: Schema.String,
  workingDir: Schema.String,
  /** The node's own cap on a command's time (`--timeout`), seconds. */
  maxTimeoutSeconds: Schema.Number,
  telemetry: NodeTelemetry,
});
export type NodeHello = typeof NodeHello.Type;

/** `node.<id>.in.exec` (request; the node replies `{ accepted: true }` at once, then streams). */
export const NodeExecRequest = Schema.Struct({
  execId: Schema.String.check(Schema.isPattern(TOKEN_PATTERN)),
  command: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(65_536)),
  /** Relative to the node's working directory; confined to it. */
  cwd: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(4096))),
  timeoutMs: Schema.Number,
  /** Only TERM, LANG and LC_* are forwarded; the node drops anything else. */
  env: Schema.Record(Schema.String, Schema.String),
  maxOutputBytes: Schema.Number,
});
export type NodeExecRequest = typeof NodeExecRequest.Type;

/** `node.<id>.out.exec.<execId>.data`: live output. */
export const NodeExecData = Schema.Struct({ stream: Schema.Literals(["stdout", "stderr"]), chunk: Schema.String, seq: Schema.Number });

/**
 * `node.<id>.out.exec.<execId>.done` (request: the gateway acks with `{ ok: true }`; the node
 * retries 3 times, 1 s apart, and the gateway takes the first one it sees — never twice).
 */
export const NodeExecDone = Schema.Struct({
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  stdout: Schema.String,
  stderr: Schema.String,
  truncated: Schema.Boolean,
  timedOut: Schema.Boolean,
  durationMs: Schema.Number,
  /** Set when the node refused or could not start the command. */
  error: Schema.optionalKey(Schema.String),
});
export type NodeExecDone = typeof NodeExecDone.Type;

/** `node.<id>.out.context`: the working directory's AGENTS.md and `.agents/skills/*\/SKILL.md`. */
export const NodeContext = Schema.Struct({
  agentsMd: Schema.NullOr(Schema.String),
  skills: Schema.Array(Schema.Struct({ name: Schema.String, description: Schema.String, body: Schema.String })),
  at: Schema.Number,
});
export type NodeContext = typeof NodeContext.Type;

/** Env variable names a node forwards to commands; everything else is dropped. */
export const isForwardedEnvName = (name: string): boolean => name === "TERM" || name === "LANG" || /^LC_[A-Z_]+$/.test(name);

/** A node as the gateway lists it (`q.nodes.list`, the Nodes page, `cairn node list|pending`). */
export const NodeSummary = Schema.Struct({
  nodeId: NodeId,
  name: Schema.String,
  fingerprint: Schema.String,
  status: Schema.Literals(["pending", "approved", "rejected", "revoked"]),
  /** Connected now (hello or heartbeat within the last 15 s, and not revoked). */
  online: Schema.Boolean,
  lastSeenAt: Schema.NullOr(Schema.Number),
  /** The pairing request: its id (what approve/reject take), when and from where. */
  requestId: Schema.NullOr(Schema.String),
  requestedAt: Schema.NullOr(Schema.Number),
  address: Schema.NullOr(Schema.String),
  hostname: Schema.String,
  platform: Schema.String,
  workingDir: Schema.String,
  approvedAt: Schema.NullOr(Schema.Number),
  telemetry: Schema.NullOr(NodeTelemetry),
  /** e.g. a refused connection attempt with another key (key mismatch), newest first. */
  alerts: Schema.Array(Schema.Struct({ at: Schema.Number, message: Schema.String })),
});
export type NodeSummary = typeof NodeSummary.Type;
export const ListNodesResult = Schema.Struct({ nodes: Schema.Array(NodeSummary) });

/** The pairing window: closed by default; an open one closes itself at `until`. */
export const PairingWindow = Schema.Struct({ open: Schema.Boolean, until: Schema.NullOr(Schema.Number) });
export type PairingWindow = typeof PairingWindow.Type;
