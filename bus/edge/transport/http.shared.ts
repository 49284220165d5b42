import { forwardedFacts } from "./forwarded.ts";
import type { HttpReply, RequestFacts, TransportOptions } from "./transport.types.ts";
import { noTrustedProxies } from "./trusted.proxies.ts";

/** What both transports do alike with a request and a failed handler. */

/** The facts the edge's checks need (locality, auth, forwarding, TLS), from a header getter. */
export const factsOf = (
  header: (name: string) => string,
  url: string,
  remoteAddress: string,
  o: TransportOptions = {},
  query = "",
): RequestFacts => {
  const f = forwardedFacts(header, remoteAddress, o.tls !== undefined, o.trustedProxies ?? noTrustedProxies);
  return {
    url,
    query,
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

/**
 * Writes a streamed reply's chunks until it ends or the client goes away (`signal`), then ends
 * the response. A producer that fails ends the response too: the client sees a cut stream, and
 * what was sent stays sent.
 */
export async function pumpStream(
  stream: (signal: AbortSignal) => AsyncIterable<string>,
  signal: AbortSignal,
  write: (chunk: string) => void,
  end: () => void,
): Promise<void> {
  try {
    for await (const chunk of stream(signal)) {
      if (signal.aborted) return;
      write(chunk);
    }
  } catch {
    // the producer failed: end what was sent
  }
  if (!signal.aborted) end();
}
