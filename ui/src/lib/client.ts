import { CLIENT_INFO, PROTOCOL_VERSION } from "./protocol.ts";
import type { ConnectResult, ErrorCode, Method, MethodParams, MethodResults, ServerFrame, WireError } from "./wire.ts";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "error";

/** A failed request: a wire error from the gateway, or a local one (`local: true`). */
export class RequestError extends Error {
  readonly code: ErrorCode;
  readonly local: boolean;
  constructor(error: WireError, local = false) {
    super(error.message);
    this.name = "RequestError";
    this.code = error.code;
    this.local = local;
  }
  /** True when the request may not have reached the gateway because the connection dropped. */
  get connectionLost(): boolean {
    return this.local && this.code === "unavailable";
  }
  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

/** Any thrown value as something the UI can print as `code: message`. */
export const asWireError = (u: unknown): WireError =>
  u instanceof RequestError ? u.toWire() : { code: "internal", message: u instanceof Error ? u.message : String(u) };

export type ClientOptions = {
  url: string;
  /** Injected for tests; defaults to the browser's. */
  WebSocket?: typeof WebSocket;
  random?: () => number;
  requestTimeoutMs?: number;
};

type Pending = {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (err: RequestError) => void;
  timer: ReturnType<typeof setTimeout>;
};

type EventHandler = (payload: unknown) => void;

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5_000;

/**
 * The gateway's WebSocket protocol: request/response with ids, pushed events, the `connect`
 * handshake, and automatic reconnection with jittered backoff. Requests made while the socket
 * is (re)connecting wait for the handshake; requests in flight when it drops fail with a local
 * `unavailable` error, since we cannot know whether the gateway acted on them.
 */
export class GatewayClient {
  state: ConnectionState = "connecting";
  /** Why the state is `error` (a refused handshake), or the last connection failure. */
  lastError: WireError | null = null;

  readonly #opts: Required<ClientOptions>;
  #ws: WebSocket | null = null;
  #nextId = 1;
  #pending = new Map<string, Pending>();
  #waiting: Array<{ resolve: () => void; reject: (e: RequestError) => void }> = [];
  #attempt = 0;
  #everConnected = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #stateListeners = new Set<(s: ConnectionState) => void>();
  #connectedListeners = new Set<(hello: ConnectResult) => void>();
  #eventHandlers = new Map<string, Set<EventHandler>>();

  constructor(opts: ClientOptions) {
    this.#opts = {
      WebSocket: globalThis.WebSocket,
      random: Math.random,
      requestTimeoutMs: 30_000,
      ...opts,
    };
  }

  /** Opens the connection; it then stays open (reconnecting as needed) until `close()`. */
  start(): void {
    this.#closed = false;
    this.#open();
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#ws?.close(1000);
    this.#ws = null;
    this.#failAll({ code: "unavailable", message: "The client was closed." });
    for (const w of this.#waiting.splice(0)) {
      w.reject(new RequestError({ code: "unavailable", message: "The client was closed." }, true));
    }
  }

  /** Reconnects now instead of waiting for the backoff (e.g. when the browser comes online). */
  retryNow(): void {
    if (this.#closed || this.state === "connected" || this.#ws) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#open();
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }

  /** Called after every successful handshake, the first and each reconnect. */
  onConnected(fn: (hello: ConnectResult) => void): () => void {
    this.#connectedListeners.add(fn);
    return () => this.#connectedListeners.delete(fn);
  }

  onEvent(event: string, fn: EventHandler): () => void {
    let set = this.#eventHandlers.get(event);
    if (!set) {
      set = new Set();
      this.#eventHandlers.set(event, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  async request<M extends Method>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
    if (this.state !== "connected") await this.#whenConnected();
    // The gateway answers with the method's result schema; the UI trusts its own gateway's frames.
    return (await this.#send(method, params)) as MethodResults[M];
  }

  #send(method: string, params: unknown): Promise<unknown> {
    const ws = this.#ws;
    if (ws?.readyState !== 1 /* OPEN */) {
      return Promise.reject(new RequestError({ code: "unavailable", message: "Not connected to the gateway." }, true));
    }
    const id = `r${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestError({ code: "timeout", message: `The gateway did not answer ${method} in time.` }, true));
      }, this.#opts.requestTimeoutMs);
      this.#pending.set(id, { method, resolve, reject, timer });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  #whenConnected(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new RequestError({ code: "unavailable", message: "The client was closed." }, true));
    }
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      this.#waiting.push(entry);
      setTimeout(() => {
        const i = this.#waiting.indexOf(entry);
        if (i < 0) return;
        this.#waiting.splice(i, 1);
        const why = this.lastError ? ` (${this.lastError.code}: ${this.lastError.message})` : "";
        reject(new RequestError({ code: "unavailable", message: `Not connected to the gateway${why}.` }, true));
      }, this.#opts.requestTimeoutMs);
    });
  }

  #setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.#stateListeners) fn(s);
  }

  #open(): void {
    // Before the first success a failure shows as `error`; later drops show `reconnecting`.
    if (this.state !== "error") this.#setState(this.#everConnected ? "reconnecting" : "connecting");
    let ws: WebSocket;
    try {
      ws = new this.#opts.WebSocket(this.#opts.url);
    } catch (e) {
      this.lastError = { code: "unavailable", message: String(e) };
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => void this.#handshake(ws);
    ws.onmessage = (ev) => this.#onFrame(ev.data);
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (ev.code === 1008 && this.state !== "error") {
        // Policy violation: the gateway ended the socket because its credential no longer holds
        // (a session revoked or expired). Shown as a refusal, so the app asks whether to sign in.
        this.lastError = { code: "unauthorized", message: ev.reason || "The gateway closed the connection: sign in again." };
        this.#setState("error");
        this.#attempt = Math.max(this.#attempt, 10);
      } else if (this.state !== "error") {
        this.lastError = {
          code: "unavailable",
          message: this.#everConnected
            ? `Connection closed${ev.reason ? `: ${ev.reason}` : ""} (code ${ev.code}).`
            : `Cannot reach the gateway at ${this.#opts.url}.`,
        };
      }
      this.#failAll({ code: "unavailable", message: "Connection to the gateway was lost." });
      this.#scheduleRetry();
    };
    // An error is always followed by close; close does the bookkeeping.
    ws.onerror = () => {};
  }

  async #handshake(ws: WebSocket): Promise<void> {
    try {
      const hello = (await this.#send("connect", {
        protocol: PROTOCOL_VERSION,
        client: CLIENT_INFO,
      })) as ConnectResult;
      if (this.#ws !== ws) return;
      this.#attempt = 0;
      this.#everConnected = true;
      this.lastError = null;
      this.#setState("connected");
      for (const w of this.#waiting.splice(0)) w.resolve();
      for (const fn of this.#connectedListeners) fn(hello);
    } catch (e) {
      if (this.#ws !== ws) return;
      // A refused handshake (unauthorized, unsupported_protocol): show it, keep retrying slowly.
      this.lastError = asWireError(e);
      if (e instanceof RequestError && !e.local) {
        this.#setState("error");
        this.#attempt = Math.max(this.#attempt, 10);
      }
      ws.close(1000);
    }
  }

  #onFrame(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn("cairn: ignoring a frame that is not JSON");
      return;
    }
    if (frame.type === "res") {
      const p = this.#pending.get(frame.id);
      if (!p) return;
      this.#pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.ok) p.resolve(frame.payload);
      else p.reject(new RequestError(frame.error ?? { code: "internal", message: "No error" }));
    } else if (frame.type === "event") {
      for (const fn of this.#eventHandlers.get(frame.event) ?? []) {
        try {
          fn(frame.payload);
        } catch (e) {
          console.error("cairn: event handler failed", e);
        }
      }
    }
  }

  #failAll(error: WireError): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new RequestError({ ...error, message: `${error.message} (${p.method})` }, true));
    }
  }

  #scheduleRetry(): void {
    if (this.#closed) return;
    if (!this.#everConnected) this.#setState("error");
    else if (this.state !== "error") this.#setState("reconnecting");
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#attempt);
    const delay = Math.min(MAX_BACKOFF_MS, base * (0.75 + 0.5 * this.#opts.random()));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delay);
  }
}

/** The gateway's WebSocket address, on the same host as the page. */
export const gatewayUrl = (loc: Location = location): string => `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
