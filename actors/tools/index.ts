/**
 * Tools the agent can call: the registry (specs generated from effect Schemas, one `invoke` that
 * decodes arguments and never throws) and the built-in workspace file tools, confined to the
 * session's workspace directory. The run's `runTool` effect calls `invoke` for each requested call.
 */
export {
  ToolRegistry,
  defineTool,
  type Tool,
  type ToolContext,
  type ToolOutput,
  type ToolResult,
  type ToolSource,
} from "./tool.registry.ts";
export { jsonSchemaParameters } from "./json-schema.ts";
export { displayPath, resolveInWorkspace, type WorkspacePath } from "./workspace.ts";
export { MAX_LINE_CHARS, MAX_OUTPUT_BYTES, openForRead as openWorkspaceFile } from "./file.io.ts";
/** Byte-budget cuts live in actors/sandbox (below remote and tools); re-exported for the tools' callers. */
export { utf8Cut, utf8Prefix } from "../sandbox/index.ts";
export { PATH_WRITERS, protectedTarget, writableTarget } from "./file.guard.ts";
export { DEFAULT_READ_LINES, editFileTool, fileTools, readFileTool, writeFileTool } from "./file.tools.ts";
export { MAX_GLOB_RESULTS, MAX_GREP_MATCHES, globTool, grepTool, searchTools } from "./search.tools.ts";
export { globToRegExp } from "./glob.match.ts";

import { fileTools } from "./file.tools.ts";
import { searchTools } from "./search.tools.ts";
import { ToolRegistry } from "./tool.registry.ts";

/** A registry holding the built-in workspace tools (read_file, write_file, edit_file, glob, grep). */
export const workspaceToolRegistry = (): ToolRegistry => {
  const r = new ToolRegistry();
  for (const t of [...fileTools, ...searchTools]) r.register(t);
  return r;
};
export { EXEC_OUTPUT_BYTES, ExecParams, execTool, type ExecToolOptions } from "./exec.tool.ts";
export { webFetchTool, checkAddress, type WebFetchOptions } from "./web/index.ts";
export { skillTools } from "./skill.tools.ts";
export { branchSessionTool, type ForkFn } from "./branch-session.tool.ts";
export { sessionStateTool } from "./session-state.tool.ts";
export { nodeTools, type NodeToolDeps } from "./nodes.tools.ts";
