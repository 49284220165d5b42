/**
 * Runs one command the gateway sent: `/bin/sh -c` in the node's working directory (a requested
 * `cwd` is confined to it), with the node's own environment filtered like a sandbox's plus the
 * request's TERM/LANG/LC_* only, a timeout capped by the node's `--timeout`, output streamed as it
 * comes and capped. No sandbox: the node is the user's own machine and they chose to pair it.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
// The sandbox door does not load the container clients (dockerode loads with the first client),
// which a node never uses and which would slow every `cairn node run` start.
import { filterEnv, runProcess } from "../../actors/sandbox/index.ts";
import { CairnError, isForwardedEnvName, type NodeExecDone, type NodeExecRequest } from "../../schemas/index.ts";

/** Output kept for the result (both streams together): the done message must fit NATS' 1 MB payload. */
export const MAX_OUTPUT_BYTES = 512 * 1024;
/** Full output of a truncated command stays on the node, up to this. */
const FULL_OUTPUT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The directory a command runs in: the working dir, or `cwd` inside it. Symlinks are resolved
 * before the check, so a link pointing out of the working dir does not get out.
 */
export function confineCwd(workingDir: string, cwd: string | undefined): string {
  let root: string;
  try {
    root = realpathSync(workingDir);
  } catch {
    throw new CairnError("unavailable", `the node's working directory ${workingDir} does not exist`);
  }
  if (cwd === undefined || cwd === "" || cwd === ".") return root;
  let target: string;
  try {
    target = realpathSync(resolve(root, cwd));
  } catch {
    throw new CairnError("not_found", `cwd ${JSON.stringify(cwd)} does not exist on the node`);
  }
  const rel = relative(root, target);
  if (rel !== "" && (rel.startsWith("..") || isAbsolute(rel))) {
    throw new CairnError("bad_request", `cwd ${JSON.stringify(cwd)} is outside the node's working directory ${root}`);
  }
  return target;
}

/** Request variables a node accepts: TERM, LANG, LC_* — and then only if not secret-looking. */
export const forwardedEnv = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([k]) => isForwardedEnvName(k)));

export interface NodeExecContext {
  readonly workingDir: string;
  readonly maxTimeoutSeconds: number;
  readonly outputDir: string;
  /** The node process's environment (filtered by the host allowlist before use). */
  readonly hostEnv: NodeJS.ProcessEnv;
  readonly home: string;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /** Live output, already capped at the request's byte budget; `seq` counts from 0. */
  readonly onData?: (stream: "stdout" | "stderr", chunk: string, seq: number) => void;
}

/** The effective timeout: the request's, never above the node's own cap. */
export const effectiveTimeoutMs = (requestMs: number, maxTimeoutSeconds: number): number =>
  Math.max(1, Math.min(Number.isFinite(requestMs) && requestMs > 0 ? requestMs : Infinity, maxTimeoutSeconds * 1000));

/** Runs the command (the cwd was checked by `confineCwd` when the request was accepted). */
export async function runNodeExec(req: NodeExecRequest, cwd: string, ctx: NodeExecContext): Promise<NodeExecDone> {
  const now = ctx.now ?? Date.now;
  const maxBytes = Math.max(1, Math.min(req.maxOutputBytes, MAX_OUTPUT_BYTES));
  const { env } = filterEnv({ host: ctx.hostEnv, request: forwardedEnv(req.env), home: ctx.home });
  let streamed = 0;
  let seq = 0;
  const onOutput = (stream: "stdout" | "stderr", chunk: string): void => {
    if (!ctx.onData || streamed >= maxBytes) return;
    const bytes = Buffer.from(chunk);
    const part = bytes.length <= maxBytes - streamed ? chunk : bytes.subarray(0, maxBytes - streamed).toString("utf8");
    streamed += Math.min(bytes.length, maxBytes - streamed);
    ctx.onData(stream, part, seq++);
  };
  const started = now();
  try {
    const out = await runProcess({
      id: `node-${req.execId}`,
      argv: ["/bin/sh", "-c", req.command],
      env,
      cwd,
      limits: {},
      timeoutMs: effectiveTimeoutMs(req.timeoutMs, ctx.maxTimeoutSeconds),
      maxOutputBytes: maxBytes,
      outputDir: ctx.outputDir,
      fullOutputMaxBytes: FULL_OUTPUT_MAX_BYTES,
      killGraceMs: 2_000,
      now,
      signal: ctx.signal,
      onOutput,
    });
    return {
      exitCode: out.exitCode,
      signal: out.signal,
      stdout: out.stdout,
      stderr: out.stderr,
      truncated: out.truncated,
      timedOut: out.timedOut,
      durationMs: out.durationMs,
      ...(out.aborted ? { error: "cancelled by the gateway" } : {}),
    };
  } catch (e) {
    return {
      exitCode: null,
      signal: null,
      stdout: "",
      stderr: "",
      truncated: false,
      timedOut: false,
      durationMs: Math.max(0, now() - started),
      error: (e as Error).message,
    };
  }
}
