import type { GatewayMetrics } from "../../bus/index.ts";
import type { McpHub } from "../mcp/index.ts";
import type { RemoteExec } from "../remote/index.ts";
import type { AgentOptions } from "../run/index.ts";
import type { ForkSession } from "../session/index.ts";
import type { SessionStateStore } from "../state/index.ts";
import {
  branchSessionTool,
  execTool,
  nodeTools,
  sessionStateTool,
  skillTools,
  webFetchTool,
  workspaceToolRegistry,
  type NodeToolDeps,
  type Tool,
  type ToolRegistry,
} from "../tools/index.ts";

/** What the built-in tools that act on the system need from it. */
export interface AgentToolDeps {
  readonly fork: ForkSession;
  readonly sessionState: SessionStateStore;
  /** Nodes: the `nodes_*` tools and running `exec` on a session's node. */
  readonly nodes?: NodeToolDeps & { readonly remote: RemoteExec };
  /** The gateway's metrics: every tool call, and `exec`'s commands, are counted and timed. */
  readonly metrics?: GatewayMetrics;
  /** MCP servers: their tools come and go in the registry as the servers do (`mcp__<server>__<tool>`). */
  readonly mcp?: McpHub;
  /** The `cron` tool (actors/cron): the agent schedules its own jobs. */
  readonly cron?: Tool;
  /** `memory_search`, `memory_get`, `memory_save` (actors/memory), when memory is on. */
  readonly memory?: readonly Tool[];
}

/**
 * The registry runs offer: none without a workspace. Otherwise the workspace file tools,
 * `session_state`, `branch_session`, plus `exec` (`[tools.exec]`), `web_fetch` (`[tools.web_fetch]`)
 * and the skill tools (`skillsDir`) when configured, and the tools of the MCP servers that are up. A registry passed in `agent.tools` is used
 * as given (tests, embedders).
 */
export const agentTools = (agent: AgentOptions | undefined, deps: AgentToolDeps): ToolRegistry | undefined => {
  if (!agent?.workspaceRoot) return undefined;
  if (agent.tools) {
    deps.mcp?.attach(agent.tools);
    return deps.metrics ? agent.tools.instrument(deps.metrics) : agent.tools;
  }
  const tools = workspaceToolRegistry();
  if (deps.metrics) tools.instrument(deps.metrics);
  deps.mcp?.attach(tools);
  tools.register(sessionStateTool(deps.sessionState));
  if (deps.cron) tools.register(deps.cron);
  for (const t of deps.memory ?? []) tools.register(t);
  tools.register(branchSessionTool(({ sessionKey, ...rest }) => deps.fork(sessionKey, rest)));
  if (agent.webFetch) tools.register(webFetchTool(agent.webFetch));
  if (agent.skillsDir) for (const t of skillTools(agent.skillsDir)) tools.register(t);
  if (deps.nodes && agent.exec) for (const t of nodeTools(deps.nodes)) tools.register(t);
  if (agent.exec) {
    const notice =
      agent.exec.approvalMode === "never"
        ? 'note: approvals are off ([tools.exec] approval_mode = "never"): this command ran without asking'
        : undefined;
    tools.register(
      execTool({
        sandbox: agent.exec.sandbox ?? "auto",
        settings: agent.exec.sandboxSettings ?? {},
        ...(agent.exec.autoBackend ? { autoBackend: agent.exec.autoBackend } : {}),
        ...(notice ? { notice } : {}),
        ...(deps.nodes ? { remote: deps.nodes.remote } : {}),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    );
  }
  return tools;
};
