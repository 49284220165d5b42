import { toWireError, type ErrorCode } from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import { jsonReply, parseJsonBody, statusOf, type HttpReply } from "./http.util.ts";
import { BODY_TOO_LARGE, type TransportRequest } from "./transport/index.ts";
import type { BusDeps } from "./ws.methods.ts";

/**
 * `POST /api/channels/telegram/webhook`: Telegram's servers deliver updates here when the channel
 * runs in webhook mode. They have no cairn login, so the route needs none even off loopback: the
 * secret Telegram echoes in `X-Telegram-Bot-Api-Secret-Token` is the gate, checked by the channel
 * (which alone knows it), not here. The edge caps the body and forwards `{secret, update}`; a 200
 * tells Telegram the update is recorded, anything else makes it deliver the update again.
 */
export const WEBHOOK_PATH = "/api/channels/telegram/webhook";
/** Telegram's updates are a few KiB; a message with entities stays well under this. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** Recording an update is a command or two; an approval button's answer waits on the approval actor. */
const WEBHOOK_TIMEOUT_MS = 30_000;

const errorReply = (code: ErrorCode, message: string): HttpReply => jsonReply(statusOf(code), { ok: false, error: { code, message } });

export function channelWebhookRoute(bus: BusDeps): (req: TransportRequest) => [string, Promise<HttpReply>] | undefined {
  const forward = async (secret: string, body: Buffer): Promise<HttpReply> => {
    let update: unknown;
    try {
      update = parseJsonBody(body, "the update");
    } catch (e) {
      return errorReply("bad_request", toWireError(e).message);
    }
    if (!bus.isBusUp()) return errorReply("unavailable", "the message bus is not connected; retry shortly");
    try {
      await request(bus.nc, subjects.admin("channels", "telegram_webhook"), { secret, update }, { timeoutMs: WEBHOOK_TIMEOUT_MS });
      return jsonReply(200, { ok: true });
    } catch (e) {
      const w = toWireError(e);
      return errorReply(w.code, w.code === "internal" ? "internal error" : w.message);
    }
  };
  return (req) => {
    if (req.method !== "POST" || req.facts.url !== WEBHOOK_PATH) return undefined;
    const secret = req.header("x-telegram-bot-api-secret-token");
    return [
      "channels.webhook",
      req
        .readBody(MAX_WEBHOOK_BODY_BYTES)
        .then((body) =>
          body === BODY_TOO_LARGE
            ? errorReply("bad_request", `the body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`)
            : forward(secret, body).catch(() => errorReply("internal", "internal error")),
        ),
    ];
  };
}
