/**
 * What the node does with the gateway's requests on `node.<id>.in.*`: `exec` (accept at once, run,
 * stream, deliver the result), `ping` and `cancel`. The result is a request the gateway acks; it is
 * retried a few times, 1 s apart, over whichever connection is current (a reconnect in between
 * does not lose it), and the gateway dedupes by execId, so a retry never runs anything twice.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { TRACEPARENT, contextFromTraceparent, subjects, tracer } from "../../bus/index.ts";
import { decodeLenient, isCairnError, NodeExecRequest, type NodeExecDone } from "../../schemas/index.ts";
import { confineCwd, runNodeExec } from "./exec.runner.ts";
import type { NodeLogger } from "./node.log.ts";

const CancelRequest = Schema.Struct({ execId: Schema.String });
/** Exec ids remembered so a re-sent request is not run twice. */
const SEEN_MAX = 1_000;

export interface ExecHandlerOptions {
  readonly nodeId: string;
  readonly workingDir: string;
  readonly maxTimeoutSeconds: number;
  readonly outputDir: string;
  readonly hostEnv: NodeJS.ProcessEnv;
  readonly home: string;
  readonly log: NodeLogger;
  /** The connection to use now (undefined while disconnected). */
  readonly connection: () => NatsConnection | undefined;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Result delivery: attempts after the first one, and the spacing between attempts. */
  readonly doneRetries?: number;
  readonly doneRetryDelayMs?: number;
}

export interface ExecHandler {
  handle(msg: Msg): void;
  /** Commands still running. */
  running(): number;
  /** Kills every running command (the agent is stopping) and waits for their results to be sent or given up. */
  stopAll(): Promise<void>;
}

const json = (value: unknown): string => JSON.stringify(value);

export function createExecHandler(opts: ExecHandlerOptions): ExecHandler {
  const running = new Map<string, { abort: AbortController; finished: Promise<void> }>();
  const seen = new Set<string>();
  // Commands running or still delivering their result (what a clean stop waits for).
  const inflight = new Set<Promise<void>>();
  const retries = opts.doneRetries ?? 3;
  const spacing = opts.doneRetryDelayMs ?? 1_000;
  const prefix = `node.${opts.nodeId}.in.`;

  const deliverDone = async (execId: string, done: NodeExecDone): Promise<boolean> => {
    const subject = subjects.nodeExecDone(opts.nodeId, execId);
    for (let attempt = 0; attempt <= retries; attempt++) {
      const started = opts.now();
      const nc = opts.connection();
      if (nc && !nc.isClosed()) {
        try {
          await nc.request(subject, json(done), { timeout: spacing });
          return true;
        } catch (e) {
          opts.log.warn("exec result not acknowledged", { execId, attempt: attempt + 1, error: (e as Error).message });
        }
      }
      if (attempt < retries) await opts.sleep(Math.max(0, spacing - (opts.now() - started)));
    }
    opts.log.error("exec result could not be delivered; the gateway reports the command as interrupted", { execId });
    return false;
  };

  const startExec = (msg: Msg): void => {
    let req: NodeExecRequest;
    let cwd: string;
    try {
      req = decodeLenient(NodeExecRequest, msg.json(), "exec request");
      cwd = confineCwd(opts.workingDir, req.cwd);
    } catch (e) {
      const code = isCairnError(e) ? e.code : "bad_request";
      msg.respond(json({ accepted: false, error: { code, message: (e as Error).message } }));
      return;
    }
    if (seen.has(req.execId)) {
      // The gateway re-sent a request we already took (its first reply was lost): never run twice.
      msg.respond(json({ accepted: true, duplicate: true }));
      return;
    }
    seen.add(req.execId);
    const oldest = seen.values().next();
    if (seen.size > SEEN_MAX && !oldest.done) seen.delete(oldest.value);
    msg.respond(json({ accepted: true }));
    opts.log.info("exec started", { execId: req.execId, command: req.command.slice(0, 200), cwd });
    const abort = new AbortController();
    const execId = req.execId;
    // The gateway's trace goes on here (its traceparent in the request's NATS headers): the
    // command's span on this node is a child of the gateway's node.exec span. A no-op when this
    // node exports no traces or the request carried none.
    const span = tracer().startSpan(
      "node.command exec",
      { kind: SpanKind.SERVER, attributes: { "cairn.node.id": opts.nodeId, "cairn.exec.id": execId } },
      contextFromTraceparent(msg.headers?.get(TRACEPARENT), ROOT_CONTEXT),
    );
    const dataSubject = subjects.nodeExecData(opts.nodeId, execId);
    const finished = (async () => {
      const done = await runNodeExec(req, cwd, {
        workingDir: opts.workingDir,
        maxTimeoutSeconds: opts.maxTimeoutSeconds,
        outputDir: opts.outputDir,
        hostEnv: opts.hostEnv,
        home: opts.home,
        now: opts.now,
        signal: abort.signal,
        onData: (stream, chunk, seq) => {
          try {
            opts.connection()?.publish(dataSubject, json({ stream, chunk, seq }));
          } catch {
            // disconnected: live output is best effort, the result carries the kept output
          }
        },
      });
      opts.log.info("exec finished", { execId, exitCode: done.exitCode, timedOut: done.timedOut, durationMs: done.durationMs });
      if (done.exitCode !== null) span.setAttribute("process.exit.code", done.exitCode);
      if (done.timedOut) span.setStatus({ code: SpanStatusCode.ERROR, message: "timed out" });
      running.delete(execId);
      await deliverDone(execId, done);
    })();
    void finished.finally(() => span.end());
    running.set(execId, { abort, finished });
    inflight.add(finished);
    void finished.finally(() => inflight.delete(finished));
  };

  const cancel = (msg: Msg): void => {
    let execId: string;
    try {
      execId = decodeLenient(CancelRequest, msg.json(), "cancel request").execId;
    } catch (e) {
      if (msg.reply) msg.respond(json({ ok: false, error: { code: "bad_request", message: (e as Error).message } }));
      return;
    }
    const r = running.get(execId);
    r?.abort.abort();
    opts.log.info("exec cancel", { execId, found: r !== undefined });
    if (msg.reply) msg.respond(json({ ok: true, found: r !== undefined }));
  };

  return {
    handle(msg) {
      const verb = msg.subject.startsWith(prefix) ? msg.subject.slice(prefix.length) : "";
      if (verb === "exec") startExec(msg);
      else if (verb === "ping") msg.respond(json({ at: opts.now() }));
      else if (verb === "cancel") cancel(msg);
      else if (msg.reply) msg.respond(json({ ok: false, error: { code: "bad_request", message: `unknown node request ${verb}` } }));
    },
    running: () => running.size,
    async stopAll() {
      for (const r of running.values()) r.abort.abort();
      await Promise.all([...inflight]);
    },
  };
}
