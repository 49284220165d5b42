import type { HttpReply, RequestFacts } from "./transport.types.ts";

/** What both transports do alike with a request and a failed handler. */

/** The facts the edge's checks need (locality, auth, forwarding), from a header getter. */
export const factsOf = (header: (name: string) => string, url: string, remoteAddress: string): RequestFacts => ({
  url,
  host: header("host"),
  authorization: header("authorization"),
  forwarded: header("x-forwarded-for") !== "" || header("forwarded") !== "" || header("x-real-ip") !== "",
  remoteAddress,
});

/** What a handler that threw answers. The cause is not echoed: it may name files or internals. */
export const internalErrorReply = (): HttpReply => ({
  status: 500,
  headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  body: JSON.stringify({ error: { code: "internal", message: "internal error" } }),
});
