import { forwardedFacts } from "./forwarded.ts";
import type { HttpReply, RequestFacts, TransportOptions } from "./transport.types.ts";
import { noTrustedProxies } from "./trusted.proxies.ts";

/** What both transports do alike with a request and a failed handler. */

/** The facts the edge's checks need (locality, auth, forwarding, TLS), from a header getter. */
export const factsOf = (header: (name: string) => string, url: string, remoteAddress: string, o: TransportOptions = {}): RequestFacts => {
  const f = forwardedFacts(header, remoteAddress, o.tls !== undefined, o.trustedProxies ?? noTrustedProxies);
  return {
    url,
    host: f.host,
    authorization: header("authorization"),
    forwarded: f.forwarded,
    remoteAddress,
    clientAddress: f.clientAddress,
    secure: f.secure,
  };
};

/** What a handler that threw answers. The cause is not echoed: it may name files or internals. */
export const internalErrorReply = (): HttpReply => ({
  status: 500,
  headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  body: JSON.stringify({ error: { code: "internal", message: "internal error" } }),
});
