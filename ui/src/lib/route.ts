import { isEventsHash } from "./events.ts";
import { TOKEN_PATTERN } from "./protocol.ts";

/** The open session lives in the URL hash (`#/s/<key>`) so a reload keeps it. */
export function sessionKeyFromHash(hash: string = location.hash): string | null {
  const m = /^#\/s\/([^/?#]+)$/.exec(hash);
  if (!m) return null;
  const key = decodeURIComponent(m[1]);
  return TOKEN_PATTERN.test(key) ? key : null;
}

export const sessionHash = (key: string): string => `#/s/${encodeURIComponent(key)}`;

export function openSessionInUrl(key: string | null): void {
  const target = key === null ? "#/" : sessionHash(key);
  if (location.hash !== target) location.hash = target;
}

/** Pages other than the chat live at their own hash. */
export type View = "chat" | "providers" | "nodes" | "security" | "cron" | "mcp" | "hooks" | "channels" | "monitoring" | "events";
export const PROVIDERS_HASH = "#/providers";
export const NODES_HASH = "#/nodes";
export const SECURITY_HASH = "#/security";
export const CRON_HASH = "#/cron";
export const MCP_HASH = "#/mcp";
export const HOOKS_HASH = "#/hooks";
export const CHANNELS_HASH = "#/channels";
export const MONITORING_HASH = "#/monitoring";
const VIEWS: Record<string, View> = {
  [PROVIDERS_HASH]: "providers",
  [NODES_HASH]: "nodes",
  [SECURITY_HASH]: "security",
  [CRON_HASH]: "cron",
  [MCP_HASH]: "mcp",
  [HOOKS_HASH]: "hooks",
  [CHANNELS_HASH]: "channels",
  [MONITORING_HASH]: "monitoring",
};
export const viewFromHash = (hash: string = location.hash): View =>
  Object.hasOwn(VIEWS, hash) ? VIEWS[hash] : isEventsHash(hash) ? "events" : "chat";
