import { randomBytes } from "node:crypto";
import * as Schema from "effect/Schema";
import {
  CairnError,
  ChatCompletionRequest,
  decodeOrFail,
  imageUrlsOf,
  MAX_ATTACHMENTS_PER_MESSAGE,
  type Attachment,
  hasScope,
  isTokenSafe,
  ListModelsResult,
  ModelId,
  SendMessageResult,
  textOf,
  toWireError,
  type ChatMessageIn,
  type OpenAiErrorBody,
  type Principal,
  type Scope,
  type WireError,
} from "../../schemas/index.ts";
import { imageMimeOf, type AttachmentStore } from "../attachments/index.ts";
import { withProvenance } from "../provenance.ts";
import { request } from "../rpc.ts";
import { followSession, type RunUpdate } from "../run.follow.ts";
import { subjects } from "../subjects.ts";
import { crossSiteRefusal } from "./auth.ts";
import { jsonReply, parseJsonBody, statusOf, type HttpReply } from "./http.util.ts";
import { BODY_TOO_LARGE, type TransportRequest } from "./transport/index.ts";
import { ask, type BusDeps } from "./ws.methods.ts";

/**
 * The OpenAI-compatible API: `GET /v1/models` and `POST /v1/chat/completions` (streamed as
 * server-sent events, or whole), so any OpenAI client or SDK talks to a cairn session — with
 * cairn's tools, approvals, fallback chains and log behind it.
 *
 * The session: `X-Cairn-Session`, else the request's `user`, else a new throwaway session (its key
 * comes back in `X-Cairn-Session`, so a client may go on in it). A named session keeps its own
 * history, so only the last user message is sent; a throwaway one gets the request's earlier
 * messages as a transcript in front of it. The model: `cairn` for the session's own, or any id of
 * `GET /v1/models`.
 */
export const MAX_COMPLETION_BODY_BYTES = 1024 * 1024;
/** The model name that means "whatever the session uses". */
export const SESSION_MODEL = "cairn";

export interface OpenAiRouteDeps {
  bus: BusDeps;
  /** Where image parts of the last user message are stored (absent: image parts are refused). */
  attachments?: AttachmentStore;
  allowedOrigins: readonly string[];
  principalOf: (req: TransportRequest) => Promise<Principal | null>;
  now: () => number;
}

type Route = [string, HttpReply | Promise<HttpReply>];

const OA_TYPE: Record<string, string> = {
  unauthorized: "invalid_request_error",
  forbidden: "permission_error",
  bad_request: "invalid_request_error",
  not_found: "invalid_request_error",
  rate_limited: "rate_limit_error",
};

/** An error in OpenAI's shape, which its SDKs raise as typed errors with this status and code. */
const oaError = (status: number, code: string, message: string): HttpReply =>
  jsonReply(status, {
    error: { message, type: OA_TYPE[code] ?? (status >= 500 ? "server_error" : "invalid_request_error"), code, param: null },
  } satisfies OpenAiErrorBody);
const fromWire = (w: WireError): HttpReply => oaError(statusOf(w.code), w.code, w.code === "internal" ? "internal error" : w.message);

const transcriptLabel: Record<ChatMessageIn["role"], string> = {
  system: "System",
  developer: "System",
  user: "User",
  assistant: "Assistant",
  tool: "Tool",
};
/**
 * What a throwaway session is sent: the last message, then the request's earlier messages as
 * context (the last comes first so the session's title, taken from its first line, names it).
 */
const withTranscript = (messages: readonly ChatMessageIn[]): string => {
  const last = textOf(messages[messages.length - 1]);
  if (messages.length === 1) return last;
  const earlier = messages.slice(0, -1).map((m) => `${transcriptLabel[m.role]}: ${textOf(m)}`);
  return `${last}\n\n---\nFor context, the conversation before this message, as the client sent it:\n\n${earlier.join("\n\n")}`;
};

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

export function openAiRoutes(d: OpenAiRouteDeps): (req: TransportRequest) => Route | undefined {
  /** The caller, when it holds `scope`; otherwise the reply that says why not. */
  const caller = async (req: TransportRequest, scope: Scope): Promise<Principal | HttpReply> => {
    const p = await d.principalOf(req);
    if (!p) return oaError(401, "invalid_api_key", "send an API key: Authorization: Bearer ck_… (cairn auth keys create)");
    if (!hasScope(p.scopes, scope)) return oaError(403, "forbidden", `this API key lacks the ${scope} scope`);
    return p;
  };
  const refused = (c: Principal | HttpReply): c is HttpReply => "status" in c;
  /**
   * The last message's images, stored like uploads (a session's history refers to them by hash).
   * Only base64 `data:` URLs: fetching a URL the client names would let it make the gateway reach
   * any address. Earlier messages' images are not carried: a session keeps its own history.
   */
  const storeImages = async (urls: readonly string[]): Promise<Attachment[]> => {
    if (urls.length === 0) return [];
    const store = d.attachments;
    if (!store) throw new CairnError("attachment_unsupported", "this gateway takes no images");
    if (urls.length > MAX_ATTACHMENTS_PER_MESSAGE)
      throw new CairnError("bad_request", `at most ${MAX_ATTACHMENTS_PER_MESSAGE} images per message`);
    return Promise.all(
      urls.map(async (url, i) => {
        const m = /^data:[^;,]*;base64,(.*)$/s.exec(url);
        if (!m) throw new CairnError("attachment_unsupported", "image_url must be a data: URL with base64 content (cairn fetches no URLs)");
        const bytes = Buffer.from(m[1], "base64");
        if (!imageMimeOf(bytes)) throw new CairnError("attachment_unsupported", `image ${i + 1} is not a PNG, JPEG, GIF or WebP image`);
        const f = await store.put(bytes);
        return { sha256: f.sha256, name: `image-${i + 1}.${f.mime.split("/")[1]}`, mime: f.mime, size: f.size, kind: f.kind };
      }),
    );
  };
  const modelList = () => ask(d.bus, ListModelsResult, subjects.query("models", "list"), {});

  const models = async (req: TransportRequest): Promise<HttpReply> => {
    const who = await caller(req, "operator.read");
    if (refused(who)) return who;
    const { models } = await modelList();
    const data = [
      { id: SESSION_MODEL, object: "model", created: 0, owned_by: "cairn" },
      ...models.filter((m) => m.enabled).map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.provider })),
    ];
    return jsonReply(200, { object: "list", data });
  };

  const completions = async (req: TransportRequest, raw: Promise<Buffer | typeof BODY_TOO_LARGE>): Promise<HttpReply> => {
    const who = await caller(req, "operator.write");
    if (refused(who)) return who;
    const bytes = await raw;
    if (bytes === BODY_TOO_LARGE) return oaError(413, "bad_request", `the request is over ${MAX_COMPLETION_BODY_BYTES} bytes`);
    let body: ChatCompletionRequest;
    try {
      body = decodeOrFail(ChatCompletionRequest, parseJsonBody(bytes), "the request");
    } catch (e) {
      return fromWire(toWireError(e));
    }
    if (body.tools?.length)
      return oaError(400, "bad_request", "cairn runs its own tools (with its approvals); send the request without `tools`");
    const last = body.messages[body.messages.length - 1];
    const imageUrls = last.role === "user" ? imageUrlsOf(last) : [];
    if (last.role !== "user" || (!textOf(last).trim() && imageUrls.length === 0))
      return oaError(400, "bad_request", "the last message must be the user's, with text or images");
    let attachments: Attachment[];
    try {
      attachments = await storeImages(imageUrls);
    } catch (e) {
      return fromWire(toWireError(e));
    }

    const named = req.header("x-cairn-session") || body.user;
    if (named !== undefined && !isTokenSafe(named))
      return oaError(400, "bad_request", "the session (X-Cairn-Session or `user`) must be 1-64 letters, digits, '_' or '-'");
    const sessionKey = named ?? `api-${randomBytes(9).toString("hex")}`;
    let model: string | undefined;
    if (body.model !== SESSION_MODEL) {
      const known = Schema.is(ModelId)(body.model) && (await modelList()).models.some((m) => m.id === body.model);
      if (!known) return oaError(404, "model_not_found", `no model '${body.model}': use '${SESSION_MODEL}' or an id from GET /v1/models`);
      model = body.model;
    }
    const text = named !== undefined ? textOf(last) : withTranscript(body.messages);

    // Subscribed before sending, so no delta of the run can be missed.
    const live = followSession(d.bus.nc, sessionKey);
    let runId: string;
    try {
      // The message is the caller's: the log and `cairn audit` name them as its actor.
      ({ runId } = await withProvenance({ actor: `user:${who.label}` }, () =>
        ask(
          d.bus,
          SendMessageResult,
          subjects.command("session", sessionKey, "send"),
          { text, createIfMissing: true, ...(model ? { model } : {}), ...(attachments.length > 0 ? { attachments } : {}) },
          30_000,
        ),
      ));
    } catch (e) {
      live.close();
      return fromWire(toWireError(e));
    }
    const id = `chatcmpl-${runId}`;
    const created = Math.floor(d.now() / 1000);
    const headers = { "X-Cairn-Session": sessionKey };
    let ended = false;
    const stop = () => {
      live.close();
      if (!ended) void request(d.bus.nc, subjects.command("session", sessionKey, "cancel"), { runId, by: "api" }).catch(() => {});
    };
    /** The run's updates; the end is noted, so leaving after it does not cancel anything. */
    async function* events(): AsyncGenerator<RunUpdate> {
      try {
        for await (const u of live.run(runId)) {
          if (u.type === "end") ended = true;
          yield u;
        }
      } finally {
        live.close();
      }
    }

    if (!body.stream) {
      let content = "";
      for await (const u of events()) {
        if (u.type === "text") content += u.text;
        else if (u.type === "end" && u.error) return fromWire(u.error);
      }
      return jsonReply(
        200,
        {
          id,
          object: "chat.completion",
          created,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        },
        headers,
      );
    }

    const chunk = (delta: Record<string, string>, finish: string | null) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    return {
      status: 200,
      headers: { ...headers, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
      body: sse(chunk({ role: "assistant", content: "" }, null)),
      async *stream(signal) {
        // The client left: stop the run (as OpenAI stops generating), and the iteration with it.
        signal.addEventListener("abort", stop, { once: true });
        for await (const u of events()) {
          if (u.type === "text") yield sse(chunk({ content: u.text }, null));
          // An SSE comment: clients skip it, a person watching the stream learns why it is quiet.
          else if (u.type === "approval")
            yield `: waiting for approval of ${JSON.stringify(u.command.slice(0, 200))}; approve it in cairn\n\n`;
          else if (u.error) yield sse({ error: { message: u.error.message, type: "server_error", code: u.error.code, param: null } });
          else yield sse(chunk({}, "stop"));
        }
        yield "data: [DONE]\n\n";
      },
    };
  };

  return (req) => {
    const url = req.facts.url;
    if (url === "/v1/models") return ["openai", req.method === "GET" ? models(req) : oaError(405, "bad_request", "use GET")];
    if (url === "/v1/chat/completions") {
      if (req.method !== "POST") return ["openai", oaError(405, "bad_request", "use POST")];
      const crossSite = crossSiteRefusal((n) => req.header(n), req.facts.host, d.allowedOrigins);
      if (crossSite) return ["openai", fromWire(toWireError(crossSite))];
      // The body is read now: a transport may accept body callbacks only synchronously.
      return ["openai", completions(req, req.readBody(MAX_COMPLETION_BODY_BYTES))];
    }
    return undefined;
  };
}
