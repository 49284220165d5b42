import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { inSpan } from "../../bus/index.ts";
import { CairnError, type LiveSessionMessage } from "../../schemas/index.ts";
import { approvalIdFor, type ApprovalView } from "../approval/index.ts";
import { SETTINGS_ID } from "../settings/index.ts";
import { utf8Prefix } from "../tools/index.ts";
import { callVerdict } from "./call.verdict.ts";
import { DEFAULT_APPROVAL_TIMEOUT_MS, MAX_TOOL_RESULT_BYTES } from "./agent.options.ts";
import { humanWait } from "./fallback.policy.ts";
import { liveOutput } from "./live.output.ts";
import { hookToolCall, observeRun } from "./run.hooks.ts";
import { mcpRefusal } from "./mcp.offer.ts";
import { accessRefusal, ownerWaiversApply } from "./access.policy.ts";
import type { RunEffectDeps } from "./run.deps.ts";
import type { RunToolParams } from "./run.machine.ts";
import { SHUTDOWN, type RunWork } from "./run.work.ts";

type CallParams = { runId: string; sessionKey: string; access?: RunToolParams["access"] };
type Call = RunToolParams["call"];

/** The run's timeout clock, paused while a person is asked. */
interface RunClock {
  pause(): void;
  resume(): void;
}

/**
 * The `runTool` effect: the approval gate of a dangerous call, then the call run with its events
 * (start, finish or refusal) appended before and after it.
 */
export const toolRunner = (
  deps: RunEffectDeps,
  live: (key: string, m: LiveSessionMessage) => void,
  workOf: (p: RunToolParams, text: string) => Promise<RunWork>,
  settle: (p: CallParams, w: RunWork, e: unknown, mayLeave: boolean) => Promise<void>,
) => {
  /** The session's workspace, created on first use. */
  const workspaceOf = async (sessionKey: string): Promise<string> => {
    const root = deps.agent.workspaceRoot;
    if (!root) throw new CairnError("internal", "no workspace root is configured for tools");
    const dir = path.join(path.resolve(root), sessionKey);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  /**
   * The approval gate of a call (`callVerdict`): `approved` when it may run — true when the gate
   * judged it and let it through (a person granted it, or the policy needs no one), which the file
   * tools require for protected paths — else `refused`, the result the model gets instead. The
   * request is an event before anyone is asked; its id comes from run and call, so a retry asks once.
   */
  const approve = async (p: CallParams, call: Call, signal: AbortSignal, clock: RunClock): Promise<Gate> => {
    if (!deps.agent.tools?.get(call.name)) return { approved: false }; // `invoke` reports an unknown tool
    const off = mcpRefusal(deps.agent.tools, await deps.sessionMcp?.(p.sessionKey), call.name);
    if (off) return { refused: off };
    const limited = accessRefusal(deps.agent.tools, p.access, call.name);
    if (limited) return { refused: limited };
    let args: Record<string, unknown>;
    try {
      args = JSON.parse(call.arguments || "{}") as Record<string, unknown>;
    } catch {
      return { approved: false }; // bad arguments never run: `invoke` reports them to the model
    }
    if (typeof args !== "object" || args === null) return { approved: false };
    if (call.name === "exec" && typeof args.command !== "string") return { approved: false }; // `invoke` reports it
    const policy = await deps.runPolicy?.(p.runId, p.sessionKey);
    const judged = await callVerdict(
      deps,
      call.name,
      call.arguments,
      args,
      () => workspaceOf(p.sessionKey),
      ownerWaiversApply(p.access),
      policy?.approvalMode,
    );
    if (judged === undefined) return { approved: false };
    const { verdict, command } = judged;
    const exec = deps.agent.exec ?? {};
    if (!verdict.ask) return { approved: true };
    // A command routed to a node runs on that machine: the person answering must see which one.
    const node = call.name === "exec" ? await deps.sessionNode?.(p.sessionKey) : null;
    const why = node ? `${verdict.why} — runs on node ${node.name} (${node.id})` : verdict.why;
    if (!deps.approvals) return { refused: `${call.name} needs an approval and this gateway cannot ask for one; the command was not run` };
    const id = approvalIdFor(p.runId, call.callId);
    const base = { type: "run.approval" as const, runId: p.runId, callId: call.callId, approvalId: id, command };
    const requested = (await deps.dispatch("approval", id, "request", {
      runId: p.runId,
      sessionKey: p.sessionKey,
      callId: call.callId,
      tool: call.name,
      command,
      reason: why,
      expiresAt: deps.now() + (exec.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS),
    })) as ApprovalView;
    live(p.sessionKey, { ...base, status: "pending", expiresAt: requested.expiresAt, reason: why });
    let v: ApprovalView;
    // The run's timeout does not count the time a person takes to answer (the approval expires on its own).
    clock.pause();
    const waiters = deps.approvals.waiters;
    const read = deps.approvals.read;
    const asked = performance.now();
    try {
      v = await inSpan("approval", { "gen_ai.tool.name": call.name }, async (span) => {
        const answer = await waiters.wait({ id, read, dispatch: deps.dispatch, now: deps.now, signal });
        span.setAttribute("cairn.approval.decision", answer.status);
        return answer;
      });
    } catch (e) {
      // The run stopped waiting. On shutdown the approval stays pending (it survives the restart);
      // otherwise (run timeout) nobody will ever act on an answer, so it expires now.
      if (signal.reason !== SHUTDOWN) {
        await deps.dispatch("approval", id, "expire", {}).catch(() => undefined);
        live(p.sessionKey, { ...base, status: "expired" });
      }
      throw e;
    } finally {
      clock.resume();
    }
    const status = v.status === "granted" || v.status === "denied" ? v.status : "expired";
    deps.metrics?.tools.approvals.inc({ tool: call.name, decision: status });
    deps.metrics?.tools.approvalWait.observe({ tool: call.name, decision: status }, (performance.now() - asked) / 1000);
    // "Always allow": this exact command runs without asking from now on (a settings event).
    if (v.status === "granted" && v.always) {
      await deps.dispatch("settings", SETTINGS_ID, "allow_command", { command, by: v.decidedBy ?? "user" }).catch(() => undefined);
    }
    live(p.sessionKey, { ...base, status, ...(v.reason ? { reason: v.reason } : {}), ...(v.decidedBy ? { decidedBy: v.decidedBy } : {}) });
    if (status === "granted") return { approved: true };
    if (status === "denied") return { refused: `denied by the user${v.reason ? `: ${v.reason}` : ""}; the command was not run` };
    return {
      refused: `the approval expired (nobody answered within ${humanWait(exec.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS)}); the command was not run`,
    };
  };

  /**
   * Runs one requested call: `start_tool` (durable) → invoke → `finish_tool` (durable). Only the
   * command that recorded the start runs the tool, so a retry or a second host never runs it twice.
   * On shutdown a call that never started leaves the run to be adopted by the next start; one that
   * started is not recorded finished: the run's interrupt marks it interrupted.
   */
  const runTool = async (p: RunToolParams): Promise<void> => {
    const w = await workOf(p, p.text);
    let started = false;
    try {
      if (w.abort.signal.aborted) throw w.abort.signal.reason;
      // Hooks first: the approval gate judges the call as it will run.
      const call = await hookToolCall(deps, p);
      if (call === null) return;
      if ("blocked" in call) {
        live(p.sessionKey, { ...refusedLive(p, p.call), output: call.blocked });
        return;
      }
      const gate = await approve(p, call, w.abort.signal, w.deadline);
      if ("refused" in gate) {
        const refused = gate.refused;
        // Never started: the call goes from requested to finished with the refusal as its result.
        await deps.dispatch("run", p.runId, "refuse_tool", { callId: call.callId, output: refused });
        live(p.sessionKey, { ...refusedLive(p, call), output: refused });
        return;
      }
      const r = (await deps.dispatch("run", p.runId, "start_tool", { callId: call.callId })) as { started?: boolean };
      // Not started by this command: it already was (a retry, another host) or the run ended.
      if (!r?.started) return;
      started = true;
      await invokeStarted(p, call, w.abort.signal, gate.approved);
    } catch (e) {
      await settle(p, w, e, !started);
    }
  };

  const invokeStarted = async (p: CallParams, call: Call, signal: AbortSignal, approved: boolean): Promise<void> => {
    live(p.sessionKey, { type: "run.tool", runId: p.runId, callId: call.callId, name: call.name, status: "started" });
    const t0 = deps.now();
    const sandbox =
      (await deps.runPolicy?.(p.runId, p.sessionKey))?.sandbox ??
      (await deps.sessionSandbox?.(p.sessionKey)) ??
      (await deps.settings?.())?.["tools.exec.sandbox.backend"];
    const node = await deps.sessionNode?.(p.sessionKey);
    const streaming = liveOutput((stream, text) =>
      live(p.sessionKey, { type: "run.tool_output", runId: p.runId, callId: call.callId, stream, text }),
    );
    const tools = deps.agent.tools;
    if (!tools) throw new CairnError("internal", "a tool call was requested in a run with no tools");
    const result = await tools.invoke(call.name, call.arguments, {
      workspace: await workspaceOf(p.sessionKey),
      signal,
      sessionKey: p.sessionKey,
      onOutput: streaming.write,
      ...(approved ? { approved } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...(node ? { node } : {}),
      ...(deps.agent.exec?.sandboxSettings?.diskBytes ? { diskQuotaBytes: deps.agent.exec.sandboxSettings.diskBytes } : {}),
    });
    streaming.close();
    if (signal.aborted) throw signal.reason;
    const durationMs = Math.max(0, deps.now() - t0);
    const full = result.ok ? result.output : `error [${result.error.code}]: ${result.error.message}`;
    const capped = utf8Prefix(full, MAX_TOOL_RESULT_BYTES);
    const truncated = capped.length < full.length || (result.ok && result.truncated === true);
    const output = capped.length < full.length ? `${capped}\n[output truncated at ${MAX_TOOL_RESULT_BYTES} bytes]` : capped;
    const fullOutput = result.ok ? result.fullOutput : undefined;
    await deps.dispatch("run", p.runId, "finish_tool", {
      callId: call.callId,
      output,
      truncated,
      isError: !result.ok,
      durationMs,
      ...(fullOutput ? { fullOutput } : {}),
    });
    observeRun(deps.hooks, "AfterToolCall", p, {
      call_id: call.callId,
      tool: call.name,
      arguments: safeJson(call.arguments),
      output,
      is_error: !result.ok,
      duration_ms: durationMs,
    });
    live(p.sessionKey, {
      type: "run.tool",
      runId: p.runId,
      callId: call.callId,
      name: call.name,
      status: result.ok ? "finished" : "failed",
      output,
      truncated,
      durationMs,
      ...(fullOutput ? { fullOutput } : {}),
    });
  };

  return runTool;
};

/** The gate's answer: the result the model gets instead of running, or whether the gate let it through. */
type Gate = { readonly refused: string } | { readonly approved: boolean };

/** The live message of a call that will not run (its output is the refusal). */
const refusedLive = (p: CallParams, call: Call) =>
  ({ type: "run.tool", runId: p.runId, callId: call.callId, name: call.name, status: "failed", truncated: false, durationMs: 0 }) as const;

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s || "{}");
  } catch {
    return s;
  }
};
