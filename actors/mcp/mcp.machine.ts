import { assign, fromCallback, fromPromise, setup } from "xstate";
import type { McpTool } from "./mcp.connect.ts";
import { restartDelay, type McpServerOptions } from "./mcp.options.ts";

/**
 * One MCP server's supervisor, as a machine the user can watch:
 *
 *   starting ─▶ up.ready ⇄ up.degraded ─▶ crashed ─▶ backing_off ─▶ starting …
 *                                          └─(too many failures)─▶ disabled
 *
 * - `starting` invokes `connect` (spawn or reach, initialize, list tools, bounded by the startup
 *   timeout). Failing is a crash.
 * - `up` invokes `watch` (pings every `health_check_interval`, the transport's close). One failed
 *   ping is `degraded` (tools stay offered: a busy server may answer slowly); a second in a row,
 *   or the process exiting, is a crash. Leaving `up` runs `disconnect`, so no path leaks a process.
 * - `crashed` counts the failure: past `max_restart_attempts` (or with `restart_on_failure =
 *   false`) the server is `disabled` with the reason kept, else it waits in `backing_off` for an
 *   exponential, capped delay (`restartDelay`). A server that stayed up `stableAfterMs` has its
 *   count reset, so a crash days later starts again from the short delay.
 * - `restart` (the CLI, the UI) starts again from any state with the count reset; `stop` ends it.
 *
 * This machine is not an event-sourced aggregate: a server's health is a fact about this process
 * (each gateway runs its own servers), so it lives in memory and is reported, not logged. What the
 * user configures is in cairn.toml and the settings events. The effects (`connect`, `watch`,
 * `disconnect`) are placeholders the server's host provides (`mcp.server.ts`).
 */

export type McpPolicy = Pick<
  McpServerOptions,
  "maxRestartAttempts" | "restartOnFailure" | "backoffBaseMs" | "backoffMaxMs" | "stableAfterMs" | "enabled"
>;

export interface McpServerContext {
  readonly policy: McpPolicy;
  /** Failed starts or crashes in a row. */
  readonly failures: number;
  readonly reason: string | undefined;
  readonly tools: readonly McpTool[];
}

export type McpServerEvent =
  | { type: "ping.ok" }
  | { type: "ping.failed"; reason: string }
  | { type: "closed"; reason: string }
  | { type: "tools.changed"; tools: readonly McpTool[] }
  | { type: "restart" }
  | { type: "stop" };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const mcpServerMachine = setup({
  types: {
    context: {} as McpServerContext,
    events: {} as McpServerEvent,
    input: {} as { policy: McpPolicy },
  },
  actors: {
    connect: fromPromise<readonly McpTool[]>(async () => {
      throw new Error("connect is provided by the server's host");
    }),
    watch: fromCallback<McpServerEvent>(() => {
      throw new Error("watch is provided by the server's host");
    }),
  },
  actions: { disconnect: () => {} },
  delays: {
    backoff: ({ context }) => restartDelay(context.failures, context.policy),
    stable: ({ context }) => context.policy.stableAfterMs,
  },
  guards: {
    exhausted: ({ context }) => !context.policy.restartOnFailure || context.failures > context.policy.maxRestartAttempts,
  },
}).createMachine({
  id: "mcp-server",
  context: ({ input }) => ({
    policy: input.policy,
    failures: 0,
    reason: input.policy.enabled ? undefined : "enabled = false",
    tools: [],
  }),
  initial: "init",
  on: {
    restart: { target: ".starting", actions: assign({ failures: 0, reason: undefined }) },
    stop: { target: ".stopped" },
  },
  states: {
    init: { always: [{ guard: ({ context }) => !context.policy.enabled, target: "disabled" }, { target: "starting" }] },
    starting: {
      invoke: {
        src: "connect",
        onDone: { target: "up", actions: assign({ tools: ({ event }) => event.output, reason: undefined }) },
        onError: { target: "crashed", actions: assign({ reason: ({ event }) => errorText(event.error) }) },
      },
    },
    up: {
      invoke: { src: "watch" },
      exit: ["disconnect", assign({ tools: [] })],
      initial: "ready",
      after: { stable: { actions: assign({ failures: 0 }) } },
      on: {
        closed: { target: "crashed", actions: assign({ reason: ({ event }) => event.reason }) },
        "tools.changed": { actions: assign({ tools: ({ event }) => event.tools }) },
      },
      states: {
        ready: { on: { "ping.failed": { target: "degraded", actions: assign({ reason: ({ event }) => event.reason }) } } },
        degraded: {
          on: {
            "ping.ok": { target: "ready", actions: assign({ reason: undefined }) },
            "ping.failed": {
              target: "#mcp-server.crashed",
              actions: assign({ reason: ({ event }) => `health check failed twice: ${event.reason}` }),
            },
          },
        },
      },
    },
    crashed: {
      entry: assign({ failures: ({ context }) => context.failures + 1 }),
      always: [
        {
          guard: "exhausted",
          target: "disabled",
          actions: assign({
            reason: ({ context }) =>
              context.policy.restartOnFailure
                ? `disabled after ${context.failures} failure${context.failures === 1 ? "" : "s"} in a row: ${context.reason}`
                : `stopped (restart_on_failure = false): ${context.reason}`,
          }),
        },
        { target: "backing_off" },
      ],
    },
    backing_off: { after: { backoff: "starting" } },
    disabled: {},
    stopped: { type: "final" },
  },
});

/** The state names a user sees (`up.ready` is "ready"). */
export const visibleState = (value: unknown): "starting" | "ready" | "degraded" | "crashed" | "backing_off" | "disabled" | "stopped" => {
  if (typeof value === "object" && value !== null && "up" in value) return (value as { up: "ready" | "degraded" }).up;
  if (value === "init") return "starting";
  return value as "starting" | "crashed" | "backing_off" | "disabled" | "stopped";
};
