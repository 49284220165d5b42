import { MetricsHistory, SessionCost, hasScope, toWireError, type Principal } from "../../schemas/index.ts";
import { subjects } from "../subjects.ts";
import { jsonReply, statusOf, type HttpReply } from "./http.util.ts";
import { ask, type BusDeps } from "./ws.methods.ts";

/**
 * `GET /api/metrics`: the metrics history (`?range=24h&step=5m`, or `?from=&to=` in epoch ms) or
 * one session's cost (`?session=<key>`), answered by the projections over `q.metrics.*`. Like the
 * rest of the API it needs `operator.read` (a loopback client has it without logging in).
 */
export async function metricsApiReply(bus: BusDeps, p: Principal | null, query: string): Promise<HttpReply> {
  if (!p)
    return jsonReply(
      401,
      { error: { code: "unauthorized", message: "log in or send an API key with operator.read" } },
      { "WWW-Authenticate": "Bearer" },
    );
  if (!hasScope(p.scopes, "operator.read"))
    return jsonReply(403, { error: { code: "forbidden", message: "/api/metrics needs the operator.read scope" } });
  const q = new URLSearchParams(query);
  try {
    const session = q.get("session");
    if (session !== null) return jsonReply(200, await ask(bus, SessionCost, subjects.query("metrics", "session"), { session }));
    const params: Record<string, string | number> = {};
    for (const k of ["range", "step"] as const) {
      const v = q.get(k);
      if (v !== null) params[k] = v;
    }
    for (const k of ["from", "to"] as const) {
      const v = q.get(k);
      // A non-number is passed on as text, so the query's decoder names it in a 400.
      if (v !== null) params[k] = /^\d{1,15}$/.test(v) ? Number(v) : v;
    }
    return jsonReply(200, await ask(bus, MetricsHistory, subjects.query("metrics", "history"), params));
  } catch (e) {
    const w = toWireError(e);
    return jsonReply(statusOf(w.code), { error: { code: w.code, message: w.code === "internal" ? "internal error" : w.message } });
  }
}
