import * as Schema from "effect/Schema";
import type { McpToolInfo } from "../../schemas/index.ts";
import type { ToolParameters } from "../llm/index.ts";
import { defineTool, type Tool } from "../tools/index.ts";
import type { McpTool } from "./mcp.connect.ts";
import type { McpServer } from "./mcp.server.ts";

/** Every bridged tool's name starts with this; the rest is `<server>__<tool>`. */
export const MCP_TOOL_PREFIX = "mcp__";

/**
 * The name the model sees. Providers accept only `[a-zA-Z0-9_-]{1,64}`, so other characters of an
 * MCP tool's name become `_` and a long name is cut; undefined when nothing usable is left.
 */
export const mcpToolName = (server: string, tool: string): string | undefined => {
  const name = `${MCP_TOOL_PREFIX}${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, "_")}`.slice(0, 64);
  return name.length > MCP_TOOL_PREFIX.length + server.length + 2 ? name : undefined;
};

/** The server checks its own arguments against its schema; here they only have to be a JSON object. */
const McpArguments = Schema.Record(Schema.String, Schema.Unknown);

/** A server's input schema as a provider takes it: an object schema without `$schema`. */
const parametersOf = (t: McpTool): ToolParameters => {
  const { $schema: _s, ...rest } = t.inputSchema as Record<string, unknown>;
  return { ...rest, type: "object" };
};

/**
 * Whether a call of this tool asks a person first. "always" and "never" are the server's
 * `approval`; "smart" asks unless the tool declares itself read-only (`readOnlyHint`). The hint is
 * the server's word, which is why "smart" is for servers the user trusts to describe themselves.
 */
export const asksApproval = (server: McpServer, t: McpTool): boolean => {
  const mode = server.options.approval;
  if (mode === "never") return false;
  if (mode === "always") return true;
  return t.annotations?.readOnlyHint !== true;
};

/** One MCP tool as a registry tool (`mcp__<server>__<tool>`, source "mcp"). */
export function bridgeTool(server: McpServer, t: McpTool, name: string): Tool<Record<string, unknown>> {
  return defineTool({
    name,
    description: `${t.description ?? t.title ?? t.name} (MCP server ${server.name})`.slice(0, 4000),
    source: "mcp",
    server: server.name,
    dangerous: asksApproval(server, t),
    params: McpArguments,
    parameters: parametersOf(t),
    run: (args, ctx) => server.call(t.name, args, ctx.signal),
  });
}

/** What `mcp.tools` shows of one bridged tool. */
export const toolInfo = (server: McpServer, t: McpTool, name: string): McpToolInfo => ({
  name,
  server: server.name,
  tool: t.name,
  description: t.description ?? "",
  inputSchema: t.inputSchema,
  asks: asksApproval(server, t),
});
