import type { Scope } from "./auth.ts";
import type { Method } from "./frames.ts";

/** The scope each WebSocket method needs (`connect` needs none: it is how a client proves itself). */
export const methodScopes: Record<Exclude<Method, "connect">, Scope> = {
  status: "operator.read",
  "sessions.list": "operator.read",
  "sessions.subscribe": "operator.read",
  "chat.history": "operator.read",
  "chat.subscribe": "operator.read",
  "chat.unsubscribe": "operator.read",
  "events.list": "operator.read",
  "events.chain": "operator.read",
  "events.subscribe": "operator.read",
  "events.unsubscribe": "operator.read",
  "sessions.at": "operator.read",
  "models.list": "operator.read",
  "providers.list": "operator.read",
  "chat.tools": "operator.read",
  "workspace.read": "operator.read",
  "approvals.list": "operator.read",
  "nodes.list": "operator.read",
  "nodes.pairingStatus": "operator.read",
  "search.query": "operator.read",
  "chat.compactions": "operator.read",
  "cron.list": "operator.read",
  "cron.get": "operator.read",
  "cron.runs": "operator.read",
  "mcp.list": "operator.read",
  "settings.get": "operator.read",
  "mcp.tools": "operator.read",
  "hooks.list": "operator.read",
  "channels.status": "operator.read",
  "channels.senders": "operator.read",
  "push.key": "operator.read",
  "push.devices": "operator.read",
  "push.presence": "operator.read",
  // A subscribed device receives what a reader sees (approval commands, reply excerpts).
  "push.subscribe": "operator.read",
  "push.unsubscribe": "operator.read",
  "sessions.create": "operator.write",
  "chat.send": "operator.write",
  "sessions.setModel": "operator.write",
  "runs.cancel": "operator.write",
  "sessions.fork": "operator.write",
  "sessions.delete": "operator.write",
  "sessions.rename": "operator.write",
  "sessions.pin": "operator.write",
  "sessions.export": "operator.read",
  "sessions.compact": "operator.write",
  "sessions.setNode": "operator.write",
  // Which MCP servers a session uses only narrows what the agent may reach.
  "sessions.setMcp": "operator.write",
  // A cron job is a message sent later: it runs one agent turn with a prompt, in the same sandbox
  // and under the same approvals as `chat.send`, so scheduling one needs what sending one needs.
  // Choosing the job's own sandbox or approval mode needs admin (`paramScope` below).
  "cron.add": "operator.write",
  "cron.update": "operator.write",
  "cron.enable": "operator.write",
  "cron.disable": "operator.write",
  "cron.run": "operator.write",
  "cron.remove": "operator.write",
  "approvals.decide": "operator.approvals",
  "nodes.approve": "operator.pairing",
  "nodes.reject": "operator.pairing",
  "nodes.revoke": "operator.pairing",
  "nodes.pairing": "operator.pairing",
  // Choosing "no sandbox", keys and remote diagnostics change what the agent may reach.
  "sessions.setSandbox": "operator.admin",
  "providers.setKey": "operator.admin",
  "models.enable": "operator.admin",
  "nodes.doctor": "operator.admin",
  "auth.overview": "operator.admin",
  "auth.keys.create": "operator.admin",
  "auth.keys.revoke": "operator.admin",
  "auth.passkeys.remove": "operator.admin",
  "auth.sessions.revoke": "operator.admin",
  "auth.password.set": "operator.admin",
  // An MCP server is a program started on the gateway's machine (or a URL it calls with stored
  // keys): adding one is running code there.
  "mcp.add": "operator.admin",
  "mcp.setEnabled": "operator.admin",
  "mcp.remove": "operator.admin",
  "mcp.restart": "operator.admin",
  // The default model, prompt, limits and approval mode are the owner's; so is taking back an "always allow".
  "settings.set": "operator.admin",
  "settings.revokeCommand": "operator.admin",
  // Letting a stranger talk to the agent, or raising what they may make it do, is the owner's call.
  "channels.approve": "operator.admin",
  "channels.deny": "operator.admin",
  "channels.setAccess": "operator.admin",
};

/**
 * A scope some params of a method raise it to: a cron job that picks its own sandbox or approval
 * mode changes how safely its runs act, as `sessions.setSandbox` does, so it needs what that needs.
 */
export const paramScope = (method: Exclude<Method, "connect">, params: unknown): Scope | undefined => {
  if (method !== "cron.add" && method !== "cron.update") return undefined;
  // Present at all, even null: clearing a job's "always" back to the configured mode loosens it too.
  return typeof params === "object" && params !== null && ("sandbox" in params || "approvalMode" in params) ? "operator.admin" : undefined;
};
