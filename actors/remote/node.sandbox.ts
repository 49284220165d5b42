import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson, isNoResponders, isTimeout, subjects, traceHeaders } from "../../bus/index.ts";
import { CairnError, isForwardedEnvName, type NodeExecDone, type NodeExecRequest } from "../../schemas/index.ts";
import { utf8Prefix, type ExecRequest, type ExecResult, type Sandbox, type SandboxDescription } from "../sandbox/index.ts";
import type { ExecHub } from "./exec.hub.ts";

export interface NodeRef {
  readonly id: string;
  readonly name: string;
}

export interface NodeSandboxOptions {
  readonly nc: NatsConnection;
  readonly hub: ExecHub;
  readonly node: NodeRef;
  /** While a command runs the node is pinged this often (default 2 s)... */
  readonly pingIntervalMs?: number;
  /** ...and declared gone after this many unanswered pings in a row (default 2) or at once on "no responders". */
  readonly missedPings?: number;
  /** How long the node has to accept a command (default 10 s). */
  readonly acceptTimeoutMs?: number;
  /** After an abort, how long to wait for the node's last word before giving up on it (default 5 s). */
  readonly cancelGraceMs?: number;
  /** Past the command's own timeout, how long the gateway waits for `done` (default 30 s). */
  readonly doneGraceMs?: number;
  /** Where TERM, LANG and LC_* are forwarded from (default `process.env`). */
  readonly hostEnv?: NodeJS.ProcessEnv;
  readonly newId?: () => string;
  readonly now?: () => number;
}

const label = (n: NodeRef) => (n.name && n.name !== n.id ? `${n.name} (${n.id})` : n.id);

/** The tool error of a node that is not there: the command never started. */
export const nodeOfflineError = (n: NodeRef) =>
  new CairnError("node_offline", `node ${label(n)} is offline; choose another node or Local`, { nodeId: n.id });

const failureKind = (e: unknown): "no_responders" | "timeout" | "other" => {
  if (isNoResponders(e)) return "no_responders";
  if (isTimeout(e)) return "timeout";
  return "other";
};

const tail = (s: string, n = 4000) => (s.length > n ? `…${s.slice(-n)}` : s);

/**
 * A `Sandbox` whose commands run on a paired node over NATS: `in.exec` (the node accepts), live
 * `out.exec.<id>.data`, then `out.exec.<id>.done` (acknowledged by the hub). The node is the user's
 * own machine: its working directory confines `cwd`, its own `--timeout` caps the command, and it
 * forwards only TERM, LANG and LC_*.
 *
 * A command is never re-sent: a node that disappears while the command runs ("no responders" to a
 * ping, or pings unanswered) ends the call with `node_offline` saying it was not re-run — whatever
 * happened to the process over there is unknown, and running it again could do it twice.
 */
export function nodeSandbox(o: NodeSandboxOptions): Sandbox {
  const node = o.node;
  const now = o.now ?? Date.now;
  const newId = o.newId ?? (() => `x${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`);
  const pingMs = o.pingIntervalMs ?? 2000;
  const missedMax = o.missedPings ?? 2;
  const hostEnv = o.hostEnv ?? process.env;

  const exec = async (req: ExecRequest): Promise<ExecResult> => {
    const t0 = now();
    const execId = newId();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined && isForwardedEnvName(k)) env[k] = v;
    const droppedEnv: string[] = [];
    for (const [k, v] of Object.entries(req.env ?? {})) {
      if (isForwardedEnvName(k)) env[k] = v;
      else droppedEnv.push(`${k} (a node receives only TERM, LANG and LC_*)`);
    }
    if (req.signal?.aborted) throw new CairnError("run_interrupted", "the command was cancelled before it started");

    const partial = { stdout: "", stderr: "", bytes: 0 };
    let settle!: (r: { done: NodeExecDone } | { gone: true } | { error: CairnError }) => void;
    const outcome = new Promise<Parameters<typeof settle>[0]>((resolve) => (settle = resolve));
    const unlisten = o.hub.listen(node.id, execId, {
      onData: (d) => {
        const room = req.maxOutputBytes - partial.bytes;
        if (room > 0) {
          const kept = utf8Prefix(d.chunk, room);
          partial[d.stream] += kept;
          partial.bytes += Buffer.byteLength(kept, "utf8");
        }
        req.onOutput?.(d.stream, d.chunk);
      },
      onDone: (done) => settle({ done }),
    });
    const timers: NodeJS.Timeout[] = [];
    let onAbort: (() => void) | undefined;
    let pinging = true;
    try {
      const body: NodeExecRequest = {
        execId,
        command: req.command,
        ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
        timeoutMs: req.timeoutMs,
        env,
        maxOutputBytes: req.maxOutputBytes,
      };
      let reply: unknown;
      try {
        // The node continues the caller's trace (W3C traceparent in the NATS headers).
        const h = traceHeaders();
        const m = await o.nc.request(subjects.nodeIn(node.id, "exec"), encodeJson(body), {
          timeout: o.acceptTimeoutMs ?? 10_000,
          ...(h ? { headers: h } : {}),
        });
        reply = JSON.parse(new TextDecoder().decode(m.data));
      } catch (e) {
        const kind = failureKind(e);
        if (kind === "no_responders") throw nodeOfflineError(node);
        if (kind === "timeout") {
          // It may have started it after all: tell it to stop, and never send it again.
          o.nc.publish(subjects.nodeIn(node.id, "cancel"), encodeJson({ execId }));
          throw new CairnError(
            "node_offline",
            `node ${label(node)} did not answer within ${Math.round((o.acceptTimeoutMs ?? 10_000) / 1000)} s; the command was not re-sent`,
            { nodeId: node.id },
          );
        }
        throw new CairnError("node_offline", `could not reach node ${label(node)}: ${(e as Error).message}`, { nodeId: node.id });
      }
      const refusal = refusalOf(reply);
      if (refusal) throw new CairnError("bad_request", `node ${label(node)} refused the command: ${refusal}`, { nodeId: node.id });

      // Liveness while waiting: a ping the node no longer subscribes to answers "no responders" at once.
      void (async () => {
        let missed = 0;
        while (pinging) {
          await new Promise((r) => timers.push(setTimeout(r, pingMs)));
          if (!pinging) return;
          try {
            await o.nc.request(subjects.nodeIn(node.id, "ping"), encodeJson({ at: now() }), { timeout: pingMs });
            missed = 0;
          } catch (e) {
            if (!pinging) return;
            if (failureKind(e) === "no_responders" || ++missed >= missedMax) return settle({ gone: true });
          }
        }
      })();
      timers.push(
        setTimeout(
          () => {
            o.nc.publish(subjects.nodeIn(node.id, "cancel"), encodeJson({ execId }));
            settle({
              error: new CairnError(
                "timeout",
                `node ${label(node)} did not report the end of the command within ${Math.round(req.timeoutMs / 1000)} s (plus a grace period); it was asked to stop and was not re-run`,
                { nodeId: node.id },
              ),
            });
          },
          req.timeoutMs + (o.doneGraceMs ?? 30_000),
        ),
      );
      let aborted = false;
      onAbort = () => {
        aborted = true;
        o.nc.publish(subjects.nodeIn(node.id, "cancel"), encodeJson({ execId }));
        // The node's last word (its `done` for the killed process) is welcome but not awaited forever.
        timers.push(setTimeout(() => settle({ gone: true }), o.cancelGraceMs ?? 5000));
      };
      req.signal?.addEventListener("abort", onAbort, { once: true });
      if (req.signal?.aborted) onAbort();

      const r = await outcome;
      const durationMs = Math.max(0, now() - t0);
      if ("error" in r) throw r.error;
      if ("gone" in r) {
        // The node never said how it ended: no exit code, no signal — only that it was stopped.
        if (aborted)
          return {
            exitCode: null,
            signal: null,
            stdout: partial.stdout,
            stderr: partial.stderr,
            truncated: false,
            timedOut: false,
            aborted: true,
            durationMs,
            droppedEnv,
          };
        const seen = [
          partial.stdout && `stdout so far:\n${tail(partial.stdout)}`,
          partial.stderr && `stderr so far:\n${tail(partial.stderr)}`,
        ]
          .filter(Boolean)
          .join("\n");
        throw new CairnError(
          "node_offline",
          `node ${label(node)} went offline during the command; it was not re-run (whether it finished there is unknown)${seen ? `\n${seen}` : ""}`,
          { nodeId: node.id },
        );
      }
      const d = r.done;
      if (d.error !== undefined && d.exitCode === null && d.signal === null) {
        throw new CairnError("bad_request", `node ${label(node)} could not run the command: ${d.error}`, { nodeId: node.id });
      }
      const stdout = utf8Prefix(d.stdout, req.maxOutputBytes);
      const stderr = utf8Prefix(d.stderr, Math.max(0, req.maxOutputBytes - Buffer.byteLength(stdout, "utf8")));
      return {
        exitCode: d.exitCode,
        signal: d.signal,
        stdout,
        stderr,
        truncated: d.truncated || stdout.length < d.stdout.length || stderr.length < d.stderr.length,
        timedOut: d.timedOut,
        aborted,
        durationMs: d.durationMs || durationMs,
        droppedEnv,
      };
    } finally {
      pinging = false;
      for (const t of timers) clearTimeout(t);
      if (onAbort) req.signal?.removeEventListener("abort", onAbort);
      unlisten();
    }
  };

  const describe = (): SandboxDescription => ({
    backend: "none",
    isolated: false,
    network: true,
    workspace: "",
    limits: { pids: "none", memory: "none", cpu: "none" },
    summary: `node ${label(node)}: commands run on that machine (the user's own), in its working directory, under its own timeout`,
  });

  return { backend: "none", exec, describe, dispose: async () => {} };
}

/** The node's answer to `in.exec`: `{ accepted: true }` (plain or in a reply envelope), else why not. */
const refusalOf = (reply: unknown): string | undefined => {
  const r = reply as { accepted?: unknown; ok?: unknown; result?: { accepted?: unknown }; error?: unknown } | null;
  if (r?.accepted === true || (r?.ok === true && r.result?.accepted === true)) return undefined;
  const e = r?.error as { message?: unknown } | string | undefined;
  return typeof e === "string" ? e : typeof e?.message === "string" ? e.message : `unexpected reply ${JSON.stringify(reply).slice(0, 200)}`;
};
