/**
 * One nats-server child process: spawn, log capture, exit, termination. Restarting is the
 * supervisor's business; this module only knows a single run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  readonly error?: Error;
}

export interface ServerProcess {
  readonly pid: number | undefined;
  readonly startedAt: number;
  /** Resolves once the process is gone (exited, killed, or failed to spawn). */
  readonly exited: Promise<ServerExit>;
  readonly hasExited: () => boolean;
  /** The last lines the server wrote (it logs to stderr): the context for an error message. */
  readonly tail: () => string[];
  /** SIGTERM (nats-server shuts down JetStream cleanly), SIGKILL after `graceMs`; waits for exit. */
  readonly terminate: (graceMs?: number) => Promise<ServerExit>;
  /** SIGKILL now (crash simulation, or a server that must not linger). */
  readonly kill: () => void;
}

const TAIL_LINES = 40;

// Children alive in this process. On a normal exit of the parent (return from main, process.exit)
// they are signalled so none outlives it; `kill -9` of the parent cannot be caught, which is what
// the pid file cleanup on the next start is for.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of liveChildren) c.kill("SIGTERM");
  });
}

/**
 * Starts `bin -c configFile`, forwarding every output line to `log`.
 *
 * `ownProcessGroup` (default true): a Ctrl-C in the gateway's terminal then reaches the gateway
 * only, which stops the server in order (clients drained first) instead of both dying at once.
 * The price: a signal to the whole group (Ctrl-C of a gateway that does not handle it, `timeout`)
 * no longer reaches the server, which is then left for the next start's cleanup. Test fixtures
 * turn it off so an aborted test run takes its servers with it.
 */
export function spawnServer(bin: string, configFile: string, log: (line: string) => void, ownProcessGroup = true): ServerProcess {
  installExitHook();
  const lines: string[] = [];
  const child = spawn(bin, ["-c", configFile], { stdio: ["ignore", "pipe", "pipe"], detached: ownProcessGroup });
  liveChildren.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      log(line);
    });
  }
  let done = false;
  const exited = new Promise<ServerExit>((resolve) => {
    const finish = (e: ServerExit) => {
      if (done) return;
      done = true;
      liveChildren.delete(child);
      resolve(e);
    };
    child.once("exit", (code, signal) => finish({ code, signal }));
    child.once("error", (error) => finish({ code: null, signal: null, error }));
  });
  const terminate = async (graceMs = 5_000): Promise<ServerExit> => {
    if (!done) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  return {
    pid: child.pid,
    startedAt: Date.now(),
    exited,
    hasExited: () => done,
    tail: () => [...lines],
    terminate,
    kill: () => {
      if (!done) child.kill("SIGKILL");
    },
  };
}

/** "exit code 1", "signal SIGKILL", or the spawn error, for log and error messages. */
export const describeExit = (e: ServerExit): string =>
  e.error ? `failed to start: ${e.error.message}` : e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
