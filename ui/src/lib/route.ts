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

/** A Settings section's id: its route is `#/settings/<id>` (the list: components/settings/sections.ts). */
export type SectionId = string;

/**
 * What the main column shows: the chat, the Settings list (`#/settings`: on a phone the list
 * alone, on a desktop the first section beside it), or one Settings section.
 */
export type View = "chat" | "settings" | "events" | SectionId;

export const SETTINGS_HASH = "#/settings";
export const settingsHash = (id: SectionId): string => `${SETTINGS_HASH}/${id}`;
export const PROVIDERS_HASH = settingsHash("providers");
export const NODES_HASH = settingsHash("nodes");
export const SECURITY_HASH = settingsHash("security");
export const CRON_HASH = settingsHash("cron");
export const MCP_HASH = settingsHash("mcp");
export const HOOKS_HASH = settingsHash("hooks");
export const CHANNELS_HASH = settingsHash("channels");
export const MONITORING_HASH = settingsHash("monitoring");

/** The pages that were top-level before the Settings area. */
const MOVED = new Set(["providers", "nodes", "security", "cron", "mcp", "hooks", "channels", "monitoring"]);

/** Where an old top-level page's link (`#/providers`, bookmarks) goes now; undefined for any other hash. */
export const legacyRedirect = (hash: string): string | undefined => {
  const m = /^#\/([a-z]+)$/.exec(hash);
  return m && MOVED.has(m[1]) ? settingsHash(m[1]) : undefined;
};

export const viewFromHash = (hash: string = location.hash): View => {
  const target = legacyRedirect(hash) ?? hash;
  if (target === SETTINGS_HASH) return "settings";
  if (isEventsHash(target)) return "events";
  const m = /^#\/settings\/([a-z]+)$/.exec(target);
  return m ? m[1] : "chat";
};
