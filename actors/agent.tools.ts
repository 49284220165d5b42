import type { AgentOptions } from "./run/run.options.ts";
import { execTool, workspaceToolRegistry, type ToolRegistry } from "./tools/index.ts";

/**
 * The registry runs offer: none without a workspace; the workspace file tools, plus `exec` when
 * `[tools.exec]` is on. A registry passed in `agent.tools` is used as given (tests, embedders).
 */
export const agentTools = (agent: AgentOptions | undefined): ToolRegistry | undefined => {
  if (!agent?.workspaceRoot) return undefined;
  const tools = agent.tools ?? workspaceToolRegistry();
  if (agent.exec && !tools.get("exec")) {
    const notice =
      agent.exec.approvalMode === "never" ? 'note: approvals are off ([tools.exec] approval_mode = "never"): this command ran without asking' : undefined;
    tools.register(execTool({ sandbox: agent.exec.sandbox ?? "auto", settings: agent.exec.sandboxSettings ?? {}, ...(notice ? { notice } : {}) }));
  }
  return tools;
};
