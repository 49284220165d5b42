/**
 * Shared set-up for the edge integration tests: a real nats-server with the streams, small
 * responders standing in for the projections and actor hosts (built elsewhere), and an edge.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import type { NatsConnection } from "@nats-io/transport-node";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { connectWs, type WsClient } from "../../fixtures/ws-client.ts";
import { ensureStreams } from "../../../bus/streams.ts";
import { serve } from "../../../bus/rpc.ts";
import { subjects } from "../../../bus/subjects.ts";
import { loadTransport, startEdge, type Edge, type EdgeOptions, type TransportName } from "../../../bus/edge/index.ts";
import type { StatusPayload } from "../../../schemas/index.ts";

export const cannedStatus: StatusPayload = {
  version: "0.1.0",
  model: null,
  modelHint: "set CAIRN_MODEL",
  nats: { version: "2.9.10", connected: true },
  projections: { checkpoint: 7, logLastSeq: 9, lag: 2 },
};

/**
 * The transports the edge suites run on: both where a native uWS build loads (Node 20 here),
 * otherwise node alone. Suites wrap themselves in `describe.each(edgeTransports)`.
 */
export const edgeTransports: TransportName[] = loadTransport(undefined).name === "uws" ? ["uws", "node"] : ["node"];

export interface Harness {
  nats: TestNats;
  nc: NatsConnection;
  edge: Edge;
  uiDir: string;
  /** Serves `q.status.get` with the canned status; returns a stop function. */
  serveStatus(): () => void;
  ws(headers?: Record<string, string>): Promise<WsClient>;
  /** Opens a WebSocket and completes the connect handshake. */
  connected(): Promise<WsClient>;
  /** A second edge on the same bus (loopback, free port, same transport) with `opts` on top; the caller closes it. */
  otherEdge(opts?: Partial<EdgeOptions>): Promise<Edge>;
  stop(): Promise<void>;
}

export async function startHarness(edgeOpts: Partial<EdgeOptions> = {}): Promise<Harness> {
  const nats = await startTestNats();
  const nc = await nats.connect();
  await ensureStreams(nc);
  const uiDir = mkdtempSync(join(tmpdir(), "cairn-ui-"));
  const edge = await startEdge({ nc, host: "127.0.0.1", port: 0, uiDir, version: "9.9.9", ...edgeOpts });
  const clients: WsClient[] = [];
  const h: Harness = {
    nats,
    nc,
    edge,
    uiDir,
    serveStatus() {
      const sub = serve(nc, subjects.query("status", "get"), () => cannedStatus);
      return () => sub.unsubscribe();
    },
    async ws(headers = {}) {
      const c = await connectWs(`${edge.url}/ws`, headers);
      clients.push(c);
      return c;
    },
    async connected() {
      const c = await h.ws();
      const res = await c.request("connect", { protocol: 1, client: { name: "test" } });
      if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res)}`);
      return c;
    },
    otherEdge(opts = {}) {
      return startEdge({
        nc,
        host: "127.0.0.1",
        port: 0,
        uiDir,
        version: "x",
        ...(edgeOpts.transport ? { transport: edgeOpts.transport } : {}),
        ...opts,
      });
    },
    async stop() {
      for (const c of clients) c.destroy();
      await edge.close();
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
      await nats.stop();
      rmSync(uiDir, { recursive: true, force: true });
    },
  };
  return h;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET with the path sent exactly as given (fetch would normalize `..` away). */
export const rawGet = (port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
