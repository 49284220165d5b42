import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { serve, subjects } from "../../bus/index.ts";
import type { HookDispatcher } from "./hook.dispatcher.ts";

/**
 * The gateway's hooks on the bus: `admin.hooks.list` answers every discovered hook with its
 * eligibility, breaker and last run. Breakers and last runs live in this gateway's memory (each
 * gateway runs its own hook processes), so, like MCP health, the answer is the answering gateway's.
 */
export const serveHooks = (nc: NatsConnection, hooks: HookDispatcher): Subscription[] => [
  serve(nc, subjects.admin("hooks", "list"), () => ({ hooks: hooks.views() })),
];
