/**
 * The part of the `ws` package (v8) the node transport uses. `ws` ships no types and `@types/ws` is
 * not installed here; drop this file when it is. Shapes follow ws's README and lib/*.js (v8).
 */
declare module "ws" {
  import type { EventEmitter } from "node:events";
  import type { IncomingMessage } from "node:http";
  import type { Duplex } from "node:stream";

  export class WebSocket extends EventEmitter {
    /** A client (tests: WSS against the edge); `ca` etc. go to `https.request`. */
    constructor(address: string, options?: { ca?: string | Buffer; headers?: Record<string, string> });
    static readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes queued by `send` and not yet written to the kernel. */
    readonly bufferedAmount: number;
    binaryType: "nodebuffer" | "arraybuffer" | "fragments";
    send(data: string | Buffer | ArrayBuffer | Uint8Array, cb?: (err?: Error) => void): void;
    ping(data?: unknown, mask?: boolean, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
    on(event: "close", listener: (code: number, reason: Buffer) => void): this;
    on(event: "pong", listener: (data: Buffer) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "open", listener: () => void): this;
  }

  export interface ServerOptions {
    noServer?: boolean;
    maxPayload?: number;
    perMessageDeflate?: boolean;
    clientTracking?: boolean;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: ServerOptions);
    readonly clients: Set<WebSocket>;
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket, req: IncomingMessage) => void): void;
    close(cb?: (err?: Error) => void): void;
  }
}
