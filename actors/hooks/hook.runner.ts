import { spawn } from "node:child_process";
import type { HookPayload } from "./hook.events.ts";

/** What one run of a hook's command says. */
export type HookOutcome =
  | { readonly kind: "continue" }
  /** Exit 0 with `{"action":"modify","data":{...}}` on stdout: the payload's data as the hook would have it. */
  | { readonly kind: "modify"; readonly data: Readonly<Record<string, unknown>> }
  /** Exit 1: refuse, stderr is the reason. */
  | { readonly kind: "block"; readonly reason: string }
  /** Anything else: it counts against the hook's breaker and the action goes on as if it had said nothing. */
  | { readonly kind: "failed"; readonly error: string; readonly timedOut: boolean };

export interface HookCommand {
  readonly name: string;
  readonly command: string;
  /** The hook's directory: `./handler.sh` is relative to it. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** stdout beyond this is a failure, not a decision: a hook answers with one small JSON object. */
export const MAX_HOOK_STDOUT = 64 * 1024;
/** The block reason and failure text keep this much of stderr. */
export const MAX_HOOK_STDERR = 4 * 1024;

/**
 * Runs a hook's command once (`sh -c`, in its directory, its own process group): the payload as
 * JSON on stdin, the decision from the exit code and stdout. A hook that outlives its timeout is
 * killed with its whole group (a `sleep` it started included) and has failed. Never rejects: a
 * broken hook is an outcome, not an exception in the agent loop.
 */
export const runHookCommand = (hook: HookCommand, payload: HookPayload): Promise<HookOutcome> =>
  new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn("/bin/sh", ["-c", hook.command], {
        cwd: hook.cwd,
        // CAIRN_NODE: the bundled hooks are Node scripts, run by the same Node as the gateway.
        env: { ...process.env, CAIRN_NODE: process.execPath, ...hook.env, CAIRN_HOOK_NAME: hook.name, CAIRN_HOOK_EVENT: payload.event },
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
    } catch (e) {
      resolve({ kind: "failed", error: `could not start: ${(e as Error).message}`, timedOut: false });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let overflow = false;
    let timedOut = false;
    let settled = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, hook.timeoutMs);
    child.stdout?.on("data", (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > MAX_HOOK_STDOUT) {
        // No need to read a flood to the end: the answer is already "failed".
        if (!overflow) killGroup();
        overflow = true;
        return;
      }
      out.push(b);
    });
    child.stderr?.on("data", (b: Buffer) => {
      if (errBytes < MAX_HOOK_STDERR) err.push(b);
      errBytes += b.length;
    });
    // A hook that never reads stdin closes it early (EPIPE): that is its right, not a failure.
    child.stdin?.on("error", () => {});
    child.stdin?.end(JSON.stringify(payload));
    const finish = (o: HookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    child.on("error", (e) => finish({ kind: "failed", error: `could not start: ${e.message}`, timedOut: false }));
    child.on("close", (code, signal) => {
      const stderr = Buffer.concat(err).toString("utf8").slice(0, MAX_HOOK_STDERR).trim();
      if (timedOut) return finish({ kind: "failed", error: `timed out after ${hook.timeoutMs} ms`, timedOut: true });
      if (overflow) return finish({ kind: "failed", error: `wrote more than ${MAX_HOOK_STDOUT} bytes to stdout`, timedOut: false });
      if (signal) return finish({ kind: "failed", error: `killed by ${signal}`, timedOut: false });
      if (code === 1) return finish({ kind: "block", reason: stderr || `blocked by hook ${hook.name}` });
      if (code !== 0) return finish({ kind: "failed", error: `exited with ${code}${stderr ? `: ${stderr}` : ""}`, timedOut: false });
      finish(readStdout(Buffer.concat(out).toString("utf8")));
    });
  });

/** Exit 0: nothing (continue), or one JSON object saying what to do. Anything else is garbage. */
const readStdout = (stdout: string): HookOutcome => {
  const text = stdout.trim();
  if (text === "") return { kind: "continue" };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: "failed", error: `stdout is not JSON: ${JSON.stringify(text.slice(0, 80))}`, timedOut: false };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { kind: "failed", error: "stdout is not a JSON object", timedOut: false };
  const o = v as { action?: unknown; data?: unknown };
  if (o.action === "continue" || (o.action === undefined && o.data === undefined)) return { kind: "continue" };
  if (o.action === "modify" && typeof o.data === "object" && o.data !== null && !Array.isArray(o.data))
    return { kind: "modify", data: o.data as Record<string, unknown> };
  return {
    kind: "failed",
    error: `stdout must be {"action":"modify","data":{...}} or empty, got ${JSON.stringify(text.slice(0, 80))}`,
    timedOut: false,
  };
};
