import * as path from "node:path";
import * as Schema from "effect/Schema";
import type { GatewayMetrics } from "../../bus/index.ts";
import {
  createSandbox,
  observeSandbox,
  type ExecRequest,
  type ExecResult,
  type Sandbox,
  type SandboxBackendName,
  type SandboxChoice,
  type SandboxOptions,
  type SandboxSettings,
} from "../sandbox/index.ts";
import type { RemoteExec } from "../remote/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { defineTool, type Tool, type ToolContext, type ToolOutput } from "./tool.registry.ts";

export const DEFAULT_EXEC_TIMEOUT_SECONDS = 120;
export const MAX_EXEC_TIMEOUT_SECONDS = 1800;
/** Output kept in the result (the model sees it); the rest is in the full-output file. */
export const EXEC_OUTPUT_BYTES = 12 * 1024;

export const ExecParams = Schema.Struct({
  command: Schema.String.check(Schema.isMinLength(1)),
  cwd: Schema.optionalKey(Schema.String),
  timeout_seconds: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(MAX_EXEC_TIMEOUT_SECONDS))),
});

export interface ExecToolOptions {
  /** The configured backend; a session's own choice (`ToolContext.sandbox`) wins over it. */
  readonly sandbox: SandboxChoice;
  /** Image, network and limits (`[tools.exec.sandbox]`). */
  readonly settings?: SandboxSettings;
  /** What a session's `auto` means: the strongest backend found at startup (default: bubblewrap or none). */
  readonly autoBackend?: SandboxBackendName;
  /** A line added to every result (e.g. that approvals are off). */
  readonly notice?: string;
  /** Runs the command of a session routed to a node (`ToolContext.node`) on that node. */
  readonly remote?: RemoteExec;
  /** Counts and times the commands (local by backend, on nodes as node commands). */
  readonly metrics?: GatewayMetrics;
}

/**
 * `exec`: one shell command in the session's sandbox (`/bin/sh -c`, workspace as home and default
 * working directory). Dangerous: the agent loop asks for an approval first when its policy says so.
 * One sandbox per workspace, created on first use (the backend probe runs once).
 */
export const execTool = (o: ExecToolOptions): Tool<typeof ExecParams.Type> => {
  const sandboxes = new Map<string, Sandbox>();
  const sandboxFor = (workspace: string, wanted: SandboxChoice): Sandbox => {
    const choice = wanted === "auto" && o.autoBackend ? o.autoBackend : wanted;
    const id = `${choice}\n${workspace}`;
    let s = sandboxes.get(id);
    if (!s) {
      s = createSandbox({
        ...o.settings,
        backend: choice,
        workspace,
        outputDir: path.join(workspace, ".cairn", "outputs"),
      } as SandboxOptions);
      if (o.metrics) s = observeSandbox(s, o.metrics, "local");
      sandboxes.set(id, s);
    }
    return s;
  };
  return defineTool({
    name: "exec",
    description:
      "Run a shell command (/bin/sh -c) in the session's sandboxed workspace. Returns the exit code and the combined output (capped; the full output is kept in a file). Commands that change anything may need the user's approval.",
    source: "builtin",
    params: ExecParams,
    dangerous: true,
    // Docker sandboxes are containers that outlive a command: removed when the gateway stops.
    dispose: async () => {
      const all = [...sandboxes.values()];
      sandboxes.clear();
      await Promise.allSettled(all.map((s) => s.dispose()));
    },
    run: async (args, ctx) => {
      if (ctx.node) return runOnNode(o, args, ctx, ctx.node);
      const sandbox = sandboxFor(ctx.workspace, (ctx.sandbox as SandboxChoice | undefined) ?? o.sandbox);
      const r = await sandbox.exec(execRequest(args, ctx));
      const lines: string[] = [];
      const warning = sandbox.describe().warning;
      if (warning) lines.push(warning);
      if (o.notice) lines.push(o.notice);
      lines.push(...outcomeLines(r, `timed out after ${args.timeout_seconds ?? DEFAULT_EXEC_TIMEOUT_SECONDS} s (killed)`));
      if (r.truncated) {
        const where = r.fullOutputPath ? path.relative(ctx.workspace, r.fullOutputPath) : undefined;
        lines.push(
          `[output truncated at ${EXEC_OUTPUT_BYTES} bytes${where ? `; the full output is in ${where} (read it with read_file)` : r.fullOutputRefused ? `; ${r.fullOutputRefused}` : ""}]`,
        );
      }
      const fullOutput = r.truncated && r.fullOutputPath ? path.relative(ctx.workspace, r.fullOutputPath) : undefined;
      return { output: lines.join("\n"), ...(r.truncated ? { truncated: true } : {}), ...(fullOutput ? { fullOutput } : {}) };
    },
  });
};

/**
 * The command of a session routed to a node: run there (the node's working directory and timeout
 * apply; no gateway sandbox — the node is the user's own machine). The result's first line says
 * where it ran; a node that is offline or goes away is a `node_offline` error, never a re-run.
 */
const runOnNode = async (
  o: ExecToolOptions,
  args: typeof ExecParams.Type,
  ctx: ToolContext,
  node: NonNullable<ToolContext["node"]>,
): Promise<ToolOutput> => {
  // The session still names a node that was revoked or forgotten since: say so, not just "offline".
  if (node.status === "revoked")
    throw new CairnError("node_revoked", `node ${node.name} (${node.id}) was revoked; choose another node or Local (or pair it again)`);
  if (node.status === "unknown")
    throw new CairnError("node_not_found", `node ${node.id} is not known to this gateway; choose another node or Local`);
  if (!o.remote)
    throw new CairnError(
      "node_offline",
      `this gateway cannot reach nodes; the session is routed to ${node.name} (${node.id}): choose Local`,
    );
  const onNode = o.remote.sandboxFor(node);
  const r = await (o.metrics ? observeSandbox(onNode, o.metrics, "node") : onNode).exec(execRequest(args, ctx));
  const lines = [`ran on node ${node.name} (${node.id})`];
  if (o.notice) lines.push(o.notice);
  lines.push(
    ...outcomeLines(r, `timed out after ${Math.round(r.durationMs / 1000)} s (killed; the node's own --timeout caps every command)`),
  );
  if (r.truncated)
    lines.push(
      `[output truncated at ${EXEC_OUTPUT_BYTES} bytes; the rest stayed on the node — narrow the command (e.g. | tail, | head) to see more]`,
    );
  return { output: lines.join("\n"), ...(r.truncated ? { truncated: true } : {}) };
};

/** The sandbox request of one call (local or on a node). */
const execRequest = (args: typeof ExecParams.Type, ctx: ToolContext): ExecRequest => ({
  command: args.command,
  ...(args.cwd !== undefined ? { cwd: args.cwd } : {}),
  timeoutMs: Math.round((args.timeout_seconds ?? DEFAULT_EXEC_TIMEOUT_SECONDS) * 1000),
  maxOutputBytes: EXEC_OUTPUT_BYTES,
  signal: ctx.signal,
  ...(ctx.onOutput ? { onOutput: ctx.onOutput } : {}),
});

/** How the command ended, then its output, as the model reads it. */
const outcomeLines = (r: ExecResult, timedOut: string): string[] => [
  ...(r.diskQuotaExceeded
    ? [
        "disk_quota_exceeded: the command was stopped: the workspace went over its disk quota ([tools.exec.sandbox.resource_limits] disk); delete files to go on",
      ]
    : []),
  r.timedOut ? timedOut : r.exitCode !== null ? `exit code ${r.exitCode}` : `killed by ${r.signal}`,
  ...(r.stdout ? [`stdout:\n${r.stdout.replace(/\n$/, "")}`] : []),
  ...(r.stderr ? [`stderr:\n${r.stderr.replace(/\n$/, "")}`] : []),
  ...(!r.stdout && !r.stderr ? ["(no output)"] : []),
];
