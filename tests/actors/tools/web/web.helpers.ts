import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { ToolRegistry, type ToolContext, type ToolResult } from "../../../../actors/tools/index.ts";
import { webFetchTool, type WebFetchOptions } from "../../../../actors/tools/web/index.ts";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  readonly port: number;
  readonly host: string;
  /** Paths requested so far, in order. */
  readonly hits: string[];
  /** The Host header of each request. */
  readonly hostHeaders: string[];
}

/** Real HTTP servers on loopback, closed (connections included) after each test. */
export function useServers() {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  });
  return (routes: Record<string, Handler>, o: { host?: string; port?: number } = {}): Promise<TestServer> => {
    const hits: string[] = [];
    const hostHeaders: string[] = [];
    const server = http.createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      hits.push(req.url ?? "/");
      hostHeaders.push(req.headers.host ?? "");
      const h = routes[path];
      if (h) h(req, res);
      else {
        res.writeHead(404, { "content-type": "text/html" });
        res.end(`<html><body><h1>Not Found</h1><p>No page at ${path}</p></body></html>`);
      }
    });
    servers.push(server);
    const host = o.host ?? "127.0.0.1";
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, host, () => resolve({ port: (server.address() as AddressInfo).port, host, hits, hostHeaders }));
    });
  };
}

/** A resolver from a fixed table; unknown names fail like a real NXDOMAIN. */
export const resolverOf =
  (table: Record<string, string | string[]>) =>
  async (host: string): Promise<{ address: string; family: number }[]> => {
    const v = table[host.replace(/\.$/, "")];
    if (v === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return (Array.isArray(v) ? v : [v]).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

/** Calls web_fetch the way the agent loop does: JSON arguments through the registry. */
export function fetcher(o: WebFetchOptions, signal: AbortSignal = new AbortController().signal) {
  const registry = new ToolRegistry().register(webFetchTool(o));
  const ctx: ToolContext = { workspace: "/nonexistent", signal, sessionKey: "test" };
  return (args: Record<string, unknown>): Promise<ToolResult> => registry.invoke("web_fetch", JSON.stringify(args), ctx);
}

export const okOutput = (r: ToolResult): string => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.output;
};

export const errorOf = (r: ToolResult) => {
  if (r.ok) throw new Error(`expected an error, got output: ${r.output.slice(0, 300)}`);
  return r.error;
};

export const redirectTo =
  (location: string, status = 302): Handler =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };

export const send =
  (contentType: string, body: string | Buffer, status = 200, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": contentType, ...headers });
    res.end(body);
  };
