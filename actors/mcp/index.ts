/**
 * MCP servers: each configured server supervised by its own XState actor (start, health checks,
 * restarts with backoff, disabled when it keeps failing), and its tools bridged into the agent's
 * registry as `mcp__<server>__<tool>`, called through the same approval gate, timeouts, output
 * caps and tool-call events as the built-in tools.
 */
export { McpHub, type McpHubDeps } from "./mcp.hub.ts";
export { McpServer, type McpOffers } from "./mcp.server.ts";
export { mcpServerMachine, visibleState, type McpServerContext, type McpServerEvent } from "./mcp.machine.ts";
export {
  MCP_DEFAULTS,
  isSecretRef,
  resolveSecrets,
  restartDelay,
  serverOptions,
  targetOf,
  type McpServerOptions,
  type SecretSource,
} from "./mcp.options.ts";
export { MCP_TOOL_PREFIX, asksApproval, mcpToolName } from "./mcp.tools.ts";
export { MCP_RESULT_BYTES, resultText } from "./mcp.result.ts";
export { serveMcp, type McpServiceOptions } from "./mcp.service.ts";
