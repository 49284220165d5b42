import type { Component } from "svelte";

/**
 * The Settings area's sections, in the order listed. Adding one is one line here: its id is its
 * route (`#/settings/<id>`) and its component gets `{ app, client, now }` (taking what it needs).
 * Each is loaded when first opened, so the chat's first load pays for none of them.
 */
export interface SettingsSection {
  readonly id: string;
  readonly label: string;
  // biome-ignore lint/suspicious/noExplicitAny: sections take different subsets of { app, client, now }.
  readonly load: () => Promise<{ default: Component<any> }>;
}

export const SETTINGS_SECTIONS = [
  { id: "general", label: "General", load: () => import("./GeneralSection.svelte") },
  { id: "tools", label: "Tools & approvals", load: () => import("./ToolsSection.svelte") },
  { id: "providers", label: "Providers", load: () => import("../ProvidersPage.svelte") },
  { id: "nodes", label: "Nodes", load: () => import("../NodesPage.svelte") },
  { id: "mcp", label: "MCP", load: () => import("../McpPage.svelte") },
  { id: "hooks", label: "Hooks", load: () => import("../HooksPage.svelte") },
  { id: "cron", label: "Cron", load: () => import("../CronPage.svelte") },
  { id: "channels", label: "Channels", load: () => import("../ChannelsPage.svelte") },
  { id: "notifications", label: "Notifications", load: () => import("./NotificationsSection.svelte") },
  { id: "security", label: "Security", load: () => import("../SecurityPage.svelte") },
  { id: "monitoring", label: "Monitoring", load: () => import("../MonitoringPage.svelte") },
] as const satisfies readonly SettingsSection[];

export type SectionId = (typeof SETTINGS_SECTIONS)[number]["id"];

export const sectionOf = (id: string): SettingsSection | undefined => SETTINGS_SECTIONS.find((s) => s.id === id);
