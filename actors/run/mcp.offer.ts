import type { SessionMcp } from "../../schemas/index.ts";
import type { ToolSpec } from "../llm/index.ts";
import type { ToolRegistry } from "../tools/index.ts";

/**
 * The session's MCP toggle (`sessions.setMcp`) applied to one tool: built-in tools (no server)
 * always pass; an MCP tool passes unless MCP is off for the session or its server is.
 */
export const mcpAllows = (mcp: SessionMcp | undefined, server: string | undefined): boolean =>
  server === undefined || !mcp || (mcp.enabled && !mcp.off.includes(server));

/** The specs a run offers its model under the session's MCP setting. */
export const offeredSpecs = (registry: ToolRegistry | undefined, mcp: SessionMcp | undefined): ToolSpec[] =>
  (registry?.specs() ?? []).filter((s) => mcpAllows(mcp, registry?.get(s.name)?.server));

/**
 * Why a requested call of an MCP tool must not run in this session, or undefined when it may.
 * The model may still name a tool it was offered before the toggle changed (or one from history):
 * the call is refused with a result it can read, never run.
 */
export const mcpRefusal = (registry: ToolRegistry | undefined, mcp: SessionMcp | undefined, name: string): string | undefined => {
  const server = registry?.get(name)?.server;
  if (mcpAllows(mcp, server)) return undefined;
  return mcp && !mcp.enabled
    ? `MCP tools are switched off for this session (the chat header's MCP toggle); ${name} was not run`
    : `the MCP server ${server} is switched off for this session (the chat header's MCP toggle); ${name} was not run`;
};
