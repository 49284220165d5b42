import { CairnError, hasScope, MAX_IMAGE_BYTES, type Principal, type Scope } from "../../schemas/index.ts";
import type { AttachmentStore } from "../attachments/index.ts";
import { originAllowed } from "./auth.ts";
import { jsonReply, statusOf, type HttpReply } from "./http.util.ts";
import { BODY_TOO_LARGE, type TransportRequest } from "./transport/index.ts";

/**
 * `POST /api/attachments` stores the request's raw body (any Content-Type; the bytes decide what it
 * is) and answers `{sha256, mime, size, kind}`; `GET /api/attachments/<sha256>` serves a stored file
 * back (thumbnails, downloads). Raw HTTP rather than base64 over the WebSocket: a 5 MiB image stays
 * 5 MiB (not 6.7), does not queue behind or hold up the socket's live frames, and the browser can
 * show it with a plain `<img src>`. The same principals as the WebSocket: the write scope to
 * upload (what sending a message needs), the read scope to fetch.
 */
export interface AttachmentRouteDeps {
  store: AttachmentStore;
  allowedOrigins: readonly string[];
  principalOf: (req: TransportRequest) => Promise<Principal | null>;
}

type Route = [string, HttpReply | Promise<HttpReply>];

const PREFIX = "/api/attachments";

const errorReply = (e: unknown): HttpReply => {
  if (!(e instanceof CairnError)) throw e;
  return jsonReply(statusOf(e.code), { error: e.toWire() });
};

export function attachmentRoutes(d: AttachmentRouteDeps): (req: TransportRequest) => Route | undefined {
  const allowed = async (req: TransportRequest, scope: Scope): Promise<HttpReply | null> => {
    const p = await d.principalOf(req);
    if (!p)
      return jsonReply(401, { error: { code: "unauthorized", message: "log in or send an API key" } }, { "WWW-Authenticate": "Bearer" });
    if (!hasScope(p.scopes, scope)) return jsonReply(403, { error: { code: "forbidden", message: `attachments need the ${scope} scope` } });
    return null;
  };

  const upload = async (req: TransportRequest, body: Promise<Buffer | typeof BODY_TOO_LARGE>): Promise<HttpReply> => {
    // A page of another site may not store files under the user's login (the cookie rides along).
    if (!originAllowed(req.header("origin"), req.facts.host, d.allowedOrigins))
      return jsonReply(403, { error: { code: "forbidden_origin", message: "this upload came from another site's page" } });
    const refused = await allowed(req, "operator.write");
    if (refused) return refused;
    const bytes = await body;
    if (bytes === BODY_TOO_LARGE)
      return errorReply(
        new CairnError("attachment_too_large", `the file is over ${MAX_IMAGE_BYTES / 1024 / 1024} MiB, the largest upload`),
      );
    if (bytes.length === 0) return jsonReply(400, { error: { code: "bad_request", message: "the upload is empty" } });
    try {
      const f = await d.store.put(bytes);
      return jsonReply(201, { sha256: f.sha256, mime: f.mime, size: f.size, kind: f.kind });
    } catch (e) {
      return errorReply(e);
    }
  };

  const download = async (req: TransportRequest, sha256: string): Promise<HttpReply> => {
    const refused = await allowed(req, "operator.read");
    if (refused) return refused;
    try {
      const f = await d.store.describe(sha256);
      const headers = {
        // Text is served as plain text only: an uploaded .html or .svg never runs as a page here.
        "Content-Type": f.kind === "image" ? f.mime : "text/plain; charset=utf-8",
        // The name is the hash of the bytes: they can never change.
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
      };
      return { status: 200, headers, body: await d.store.read(sha256) };
    } catch (e) {
      return errorReply(e);
    }
  };

  return (req) => {
    const url = req.facts.url;
    if (url === PREFIX && req.method === "POST") return ["attachments_upload", upload(req, req.readBody(MAX_IMAGE_BYTES))];
    if (url.startsWith(`${PREFIX}/`) && req.method === "GET") return ["attachments_get", download(req, url.slice(PREFIX.length + 1))];
    return undefined;
  };
}
