import type { JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";

/** A message's headers as a lookup: a header's first value, "" when absent. */
export type HeaderLookup = (name: string) => string;

const utf8 = new TextDecoder();

/**
 * The lookup of a decoded header set, read in one pass: the client's own `get` scans and copies
 * its key list on every call, and a decode or a chain check asks for up to nine of them.
 */
export const headerLookup = (h: MsgHdrs | undefined): HeaderLookup => {
  if (!h) return () => "";
  const values = new Map<string, string>();
  for (const [k, v] of h) if (!values.has(k)) values.set(k, v[0] ?? "");
  return (name) => values.get(name) ?? "";
};

/**
 * The lookup of a raw NATS header block (`NATS/1.0[ status]\r\nKey: value\r\n…\r\n\r\n`), parsed
 * as the client parses it (keys exact, values trimmed, the first of repeated keys wins) but in one
 * scan: the client's decoder validates and canonicalizes every key and searches its key list on
 * every append, a quarter of `cairn log verify`'s time.
 */
export const rawHeaderLookup = (block: Uint8Array): HeaderLookup => {
  const s = utf8.decode(block);
  const values = new Map<string, string>();
  // Line by line after the version and status line; an empty line (the block's end) holds nothing.
  for (let at = s.indexOf("\r\n") + 2; at > 1 && at < s.length; ) {
    let end = s.indexOf("\r\n", at);
    if (end === -1) end = s.length;
    const colon = s.indexOf(":", at);
    if (colon > at && colon < end) {
      const key = s.slice(at, colon);
      if (!values.has(key)) values.set(key, s.slice(colon + 1, end).trim());
    }
    at = end + 2;
  }
  return (name) => values.get(name) ?? "";
};

/** The parts of the client's message object that hold the bytes as received (not its public API). */
interface ReceivedMsg {
  _rdata?: Uint8Array;
  _msg?: { hdr?: number };
}

/**
 * The header block of a consumed message as received, or undefined when the client keeps it
 * elsewhere than @nats-io/nats-core 3.x does (tests/bus/msg.headers.test.ts notices that on an
 * upgrade; readers then fall back to the client's decoder).
 */
export const receivedHeaderBlock = (m: JsMsg): Uint8Array | undefined => {
  const msg = (m as unknown as { msg?: ReceivedMsg }).msg;
  const hdr = msg?._msg?.hdr;
  const bytes = msg?._rdata;
  if (typeof hdr !== "number" || !(bytes instanceof Uint8Array) || hdr > bytes.length) return undefined;
  // -1: a message without headers.
  return bytes.subarray(0, Math.max(hdr, 0));
};

/** A consumed message's header lookup, from its raw block when it can be had. */
export const consumedHeaders = (m: JsMsg): HeaderLookup => {
  const block = receivedHeaderBlock(m);
  return block === undefined ? headerLookup(m.headers) : rawHeaderLookup(block);
};
