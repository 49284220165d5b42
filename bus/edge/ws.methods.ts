import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import {
  CairnError,
  CreateSessionResult,
  GetHistoryResult,
  ListSessionsResult,
  SendMessageResult,
  StatusPayload,
  decodeLenient,
  methodParams,
  type Method,
} from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import type { LiveSubscriptions } from "./ws.subscriptions.ts";

/**
 * WebSocket methods → NATS. The edge owns no domain state: every method is a command or query
 * request, or a live-stream subscription. Params arrive already decoded by the connection.
 */

type Params<M extends Method> = (typeof methodParams)[M]["Type"];

/** A method's answer; `afterReply` runs once the `res` frame is sent (live delivery starts there). */
export interface MethodResult {
  payload: unknown;
  afterReply?: () => void;
}

export interface BusDeps {
  nc: NatsConnection;
  /** False while the client is disconnected from NATS: requests fail fast instead of timing out. */
  isBusUp: () => boolean;
  requestTimeoutMs: number;
  newSessionKey: () => string;
}

/** Requests over NATS and decodes the reply; a malformed reply is the peer's bug (`internal`). */
export const ask = async <S extends Schema.ConstraintDecoder<unknown>>(
  deps: BusDeps,
  schema: S,
  subject: string,
  params: unknown,
  timeoutMs = deps.requestTimeoutMs,
): Promise<S["Type"]> => {
  if (!deps.isBusUp()) throw new CairnError("unavailable", "the message bus is not connected; retry shortly");
  const raw = await request(deps.nc, subject, params, { timeoutMs });
  try {
    return decodeLenient(schema, raw, `reply on ${subject}`);
  } catch (e) {
    throw new CairnError("internal", (e as Error).message);
  }
};

export const fetchStatus = (deps: BusDeps, timeoutMs?: number) =>
  ask(deps, StatusPayload, subjects.query("status", "get"), {}, timeoutMs);

const live = async (deps: BusDeps, start: () => Promise<{ seq: number; start: () => void }>): Promise<MethodResult> => {
  if (!deps.isBusUp()) throw new CairnError("unavailable", "the message bus is not connected; retry shortly");
  try {
    const s = await start();
    return { payload: { seq: s.seq }, afterReply: s.start };
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw new CairnError("unavailable", `live stream unavailable: ${(e as Error).message}`);
  }
};

/** Runs one method other than `connect`. */
export const callMethod = async (
  deps: BusDeps,
  subs: LiveSubscriptions,
  method: Exclude<Method, "connect">,
  params: unknown,
): Promise<MethodResult> => {
  switch (method) {
    case "status":
      return { payload: await fetchStatus(deps) };
    case "sessions.list": {
      const p = params as Params<"sessions.list">;
      return { payload: await ask(deps, ListSessionsResult, subjects.query("sessions", "list"), p) };
    }
    case "sessions.create": {
      const { key, ...rest } = params as Params<"sessions.create">;
      const subject = subjects.command("session", key ?? deps.newSessionKey(), "create");
      return { payload: await ask(deps, CreateSessionResult, subject, rest) };
    }
    case "chat.history": {
      const p = params as Params<"chat.history">;
      return { payload: await ask(deps, GetHistoryResult, subjects.query("messages", "history"), p) };
    }
    case "chat.send": {
      // No createIfMissing from the UI: a typo in a session key must not create a session.
      const { sessionKey, ...rest } = params as Params<"chat.send">;
      return { payload: await ask(deps, SendMessageResult, subjects.command("session", sessionKey, "send"), rest) };
    }
    case "chat.subscribe": {
      const { sessionKey, ...from } = params as Params<"chat.subscribe">;
      return live(deps, () => subs.chat(sessionKey, from));
    }
    case "chat.unsubscribe": {
      const { sessionKey } = params as Params<"chat.unsubscribe">;
      return { payload: { unsubscribed: subs.unchat(sessionKey) } };
    }
    case "sessions.subscribe":
      return live(deps, () => subs.sessionList());
    default:
      throw new CairnError("unknown_method", `method '${method}' is not available yet`);
  }
};

/** `s-` + 10 base36 characters: token-safe, ~51 bits, from the given random source. */
export const makeSessionKey = (randomInt: (max: number) => number): string => {
  let s = "s-";
  for (let i = 0; i < 10; i++) s += randomInt(36).toString(36);
  return s;
};
