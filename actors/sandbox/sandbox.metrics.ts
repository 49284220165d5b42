import { inSpan, type GatewayMetrics } from "../../bus/index.ts";
import type { ExecResult, Sandbox } from "./sandbox.ts";

/** How a command ended, for the outcome label: a closed set. */
export const execOutcome = (r: ExecResult): string =>
  r.timedOut ? "timed_out" : r.aborted ? "aborted" : r.exitCode === 0 ? "exit_zero" : "exit_nonzero";

/**
 * A sandbox whose commands are counted and timed (by backend: local sandboxes; as node commands:
 * a node's), each one a span (`sandbox.exec` / `node.exec`) in the calling tool's trace. A command
 * that throws (the node went away, the backend failed to start) counts as `error`.
 */
export function observeSandbox(s: Sandbox, metrics: GatewayMetrics, where: "local" | "node"): Sandbox {
  const record = (outcome: string, seconds: number) => {
    if (where === "node") {
      metrics.nodes.commands.inc({ outcome });
      metrics.nodes.duration.observe(seconds);
    } else {
      metrics.sandbox.commands.inc({ backend: s.backend, outcome });
      metrics.sandbox.duration.observe({ backend: s.backend }, seconds);
    }
  };
  return {
    get backend() {
      return s.backend;
    },
    describe: () => s.describe(),
    dispose: () => s.dispose(),
    exec: (req) =>
      inSpan(where === "node" ? "node.exec" : "sandbox.exec", { "cairn.sandbox.backend": s.backend }, async (span) => {
        const t0 = performance.now();
        try {
          const r = await s.exec(req);
          const outcome = execOutcome(r);
          record(outcome, (performance.now() - t0) / 1000);
          span.setAttributes({ "cairn.exec.outcome": outcome, ...(r.exitCode !== null ? { "process.exit.code": r.exitCode } : {}) });
          return r;
        } catch (e) {
          record("error", (performance.now() - t0) / 1000);
          throw e;
        }
      }),
  };
}
