import { withProvenance } from "../provenance.ts";
import {
  CairnError,
  PROTOCOL_VERSION,
  decodeOrFail,
  hasScope,
  methodParams,
  methodScopes,
  paramScope,
  toWireError,
  type Method,
  type Principal,
  type WireError,
} from "../../schemas/index.ts";
import { clientAddressOf, type ClientFacts } from "./auth.ts";
import type { LoginGuard } from "./login.guard.ts";
import { isIssuedSecret, LOCAL_PRINCIPAL, type Presented, type Principals } from "./principals.ts";
import type { EdgeMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { callMethod, fetchStatus, type BusDeps, type MethodResult } from "./ws.methods.ts";
import { decodeFrame, encodeError, encodeOk } from "./ws.protocol.ts";
import { hasSecrets, maskSecrets, redactError, secretsIn } from "./ws.secrets.ts";
import type { LiveHub } from "./live.hub.ts";
import { LiveSubscriptions } from "./ws.subscriptions.ts";

/**
 * One WebSocket client's protocol state, independent of uWS: frames in, frames out through `send`.
 * States: new → connected (after a successful `connect`) → disposed (socket closed).
 */

/** Close code for a failed login (policy violation). */
export const CLOSE_UNAUTHORIZED = 1008;

export interface ConnectionDeps {
  bus: BusDeps;
  /** The edge's live fan-out, shared by every connection. */
  hub: LiveHub;
  version: string;
  /** The UI build the edge serves (`uiBuildOf`), sent in `connect`'s answer. */
  uiBuild: () => Promise<string | null>;
  /** Who the client is, from its upgrade request (address, Host, proxy headers). */
  facts: ClientFacts;
  /** The cookie or bearer header its upgrade request carried (a browser's login). */
  presented: Presented;
  principals: Principals;
  /** Guess limits: a `connect` with a wrong key spends one. */
  guard: LoginGuard;
  now: () => number;
  /** Called once the handshake succeeded (the socket no longer counts as unauthenticated). */
  onConnected: () => void;
  limiter: RateLimiter;
  metrics: EdgeMetrics;
  /** Sends a text frame; must be a no-op once the socket is gone. */
  send: (text: string) => void;
  close: (code: number, reason: string) => void;
  log: (line: string) => void;
}

export class WsConnection {
  private connected = false;
  private connecting = false;
  private disposed = false;
  /** Set by a successful `connect`: what this client may do. */
  principal: Principal | undefined;
  readonly subs: LiveSubscriptions;

  constructor(private readonly deps: ConnectionDeps) {
    const { bus, metrics } = deps;
    this.subs = new LiveSubscriptions({
      nc: bus.nc,
      hub: deps.hub,
      send: (frame) => {
        metrics.liveForwarded++;
        this.emit(frame);
      },
      onCountChange: (d) => (metrics.subscriptions += d),
    });
  }

  /** Handles one incoming frame. Synchronous up to the first await, as uWS requires for its buffer. */
  onFrame(data: ArrayBuffer, isBinary: boolean): void {
    this.deps.metrics.bytesIn += data.byteLength;
    const frame = decodeFrame(data, isBinary);
    if (!frame.ok) {
      this.deps.metrics.rejected(frame.error.code);
      this.emit(encodeError(frame.id, frame.error));
      return;
    }
    const { id, method, params } = frame.req;
    if (!this.deps.limiter.take()) {
      this.fail(id, method, { code: "rate_limited", message: "too many requests; slow down" });
      return;
    }
    if (method !== "connect" && !this.connected) {
      this.fail(id, method, { code: "not_connected", message: "the first request must be connect" });
      return;
    }
    if (method !== "connect") {
      const refusal = this.refusal(method, params);
      if (refusal) {
        this.fail(id, method, refusal);
        if (refusal.code === "unauthorized") this.deps.close(CLOSE_UNAUTHORIZED, "session expired");
        return;
      }
    }
    let decoded: unknown;
    try {
      decoded = decodeOrFail(methodParams[method], params ?? {}, `${method} params`);
    } catch (e) {
      this.fail(id, method, hasSecrets(method) ? this.maskedDecodeError(method, params) : toWireError(e));
      return;
    }
    void this.run(id, method, decoded);
  }

  /** The decode error of a secret-bearing method, computed on masked params so it cannot quote the secret. */
  private maskedDecodeError(method: Method, params: unknown): WireError {
    try {
      decodeOrFail(methodParams[method], maskSecrets(method, params ?? {}), `${method} params`);
      return { code: "bad_request", message: `invalid ${method} params` };
    } catch (e) {
      return redactError(toWireError(e), secretsIn(method, params));
    }
  }

  /** Stops every live subscription of this connection. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.deps.bus.presence?.drop(this.subs);
    await this.subs.closeAll();
  }

  private async run(id: string, method: Method, params: unknown): Promise<void> {
    let result: MethodResult;
    const principal = this.principal;
    try {
      if (method === "connect") result = await this.connect(params as (typeof methodParams)["connect"]["Type"]);
      // The log names who acted from the credentials, never from what the client says.
      else if (principal)
        result = await withProvenance({ actor: `user:${principal.label}` }, () =>
          callMethod(this.deps.bus, this.subs, method, params, principal),
        );
      else throw new CairnError("not_connected", "the first request must be connect"); // onFrame lets no call through before connect
    } catch (e) {
      // A service that repeats a key it was sent must not get it logged or sent back.
      const error = redactError(toWireError(e), secretsIn(method, params));
      if (error.code === "internal") this.deps.log(`ws ${method} failed: ${error.message}`);
      this.fail(id, method, error);
      if (error.code === "unauthorized") this.deps.close(CLOSE_UNAUTHORIZED, "unauthorized");
      return;
    }
    this.deps.metrics.request(method, "ok");
    this.emit(encodeOk(id, result.payload));
    if (!this.disposed) result.afterReply?.();
  }

  private async connect(p: (typeof methodParams)["connect"]["Type"]): Promise<MethodResult> {
    if (this.connected || this.connecting) throw new CairnError("bad_request", "already connected");
    if (p.protocol !== PROTOCOL_VERSION) {
      throw new CairnError(
        "unsupported_protocol",
        `protocol ${p.protocol} is not supported; this gateway speaks protocol ${PROTOCOL_VERSION}`,
      );
    }
    // The status is part of the handshake; when it cannot be had the client is told why and may retry.
    this.connecting = true;
    try {
      this.principal = await this.authenticate(p.auth);
      const [status, ui] = await Promise.all([fetchStatus(this.deps.bus), this.deps.uiBuild()]);
      this.connected = true;
      this.deps.onConnected();
      const server = { name: "cairn", version: this.deps.version, ...(ui ? { ui } : {}) };
      return { payload: { protocol: PROTOCOL_VERSION, server, status } };
    } finally {
      this.connecting = false;
    }
  }

  /** Local clients are the owner; others present a login cookie, an API key or the auth token. */
  private async authenticate(auth: { token?: string; api_key?: string } | undefined): Promise<Principal> {
    const { principals, guard, facts, presented } = this.deps;
    // A key named in `connect` is honoured even from loopback, so a script can check what its key may do.
    const named = auth?.api_key ?? auth?.token;
    if (named === undefined && principals.isTrustedLocal(facts)) return LOCAL_PRINCIPAL;
    const secret = named ?? presented.bearer ?? presented.cookie;
    // A browser whose login was ended keeps presenting its cookie while it reconnects: that must not
    // use up the guesses its owner needs to sign in again.
    const guessable = secret !== undefined && !isIssuedSecret(secret);
    const wait = guessable ? guard.retryAfter(clientAddressOf(facts)) : 0;
    if (wait > 0)
      throw new CairnError("rate_limited", `too many failed logins from this address; try again in ${wait} s`, { retryAfterSec: wait });
    const principal = secret === undefined ? null : await principals.resolve(secret);
    if (principal) return principal;
    if (guessable) guard.failed(clientAddressOf(facts));
    throw new CairnError(
      "unauthorized",
      secret === undefined ? "log in first (or send auth.api_key)" : "this key or login is not valid (revoked, expired or mistyped)",
    );
  }

  /** Why this connection may not call `method` now, if it may not. */
  private refusal(method: Exclude<Method, "connect">, params: unknown): WireError | undefined {
    const p = this.principal;
    if (!p) return undefined;
    if (p.expiresAt !== null && p.expiresAt <= this.deps.now())
      return { code: "unauthorized", message: "your login expired; log in again" };
    const needed = paramScope(method, params) ?? methodScopes[method];
    if (!hasScope(p.scopes, needed))
      return { code: "forbidden", message: `${method} needs the ${needed} scope, which this key does not have` };
    return undefined;
  }

  private fail(id: string, method: string, error: WireError): void {
    this.deps.metrics.request(method, error.code);
    this.emit(encodeError(id, error));
  }

  private emit(text: string): void {
    if (this.disposed) return;
    this.deps.metrics.bytesOut += Buffer.byteLength(text);
    this.deps.send(text);
  }
}
