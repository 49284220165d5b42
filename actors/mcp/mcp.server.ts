import { ErrorCode as McpErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createActor, fromCallback, fromPromise, type Actor } from "xstate";
import { CairnError, type McpServerStatus } from "../../schemas/index.ts";
import { openConnection, type McpConnection, type McpTool } from "./mcp.connect.ts";
import { mcpServerMachine, visibleState, type McpServerEvent } from "./mcp.machine.ts";
import { restartDelay, targetOf, type McpServerOptions, type SecretSource } from "./mcp.options.ts";
import { resultText } from "./mcp.result.ts";

/** A ping that takes longer than this fails (a server busy with a call still answers pings). */
const PING_TIMEOUT_MS = 10_000;

export interface McpServerDeps {
  readonly secrets: SecretSource;
  readonly now: () => number;
  /** The gateway's log: state changes and the server's stderr, each line named by the server. */
  readonly report: (line: string) => void;
  /** Told on every change a user could see (state, reason, tools). */
  readonly changed: (server: McpServer) => void;
}

/**
 * One configured server: its supervisor machine running as an XState actor, and the live MCP
 * connection the machine's effects open and close. The connection is a handle, so it lives here
 * and not in the machine's context.
 */
/** A server's resources and prompts, as `cairn mcp resources` lists them. */
export interface McpOffers {
  readonly resources: readonly { uri: string; name: string; description?: string; mimeType?: string }[];
  readonly prompts: readonly { name: string; description?: string; arguments: readonly string[] }[];
}

export class McpServer {
  readonly #actor: Actor<typeof mcpServerMachine>;
  #conn: McpConnection | undefined;
  /** Where the running `watch` wants connection events; undefined while not up. */
  #watch: ((e: McpServerEvent) => void) | undefined;
  #since: number;
  #nextAttemptAt: number | undefined;
  #last = "";

  constructor(
    readonly options: McpServerOptions,
    private readonly deps: McpServerDeps,
  ) {
    this.#since = deps.now();
    const machine = mcpServerMachine.provide({
      actors: {
        connect: fromPromise(async ({ signal }) => {
          const conn = await openConnection(options, deps.secrets, {
            stderr: (line) => deps.report(`mcp ${options.name}: ${line}`),
            closed: (reason) => this.#watch?.({ type: "closed", reason }),
            toolsChanged: (tools) => {
              if (this.#conn === conn) this.#actor.send({ type: "tools.changed", tools });
            },
          });
          // A restart or stop while the start was under way: this connection is nobody's.
          if (signal.aborted) {
            await conn.close();
            throw new Error("start superseded");
          }
          this.#conn = conn;
          return conn.tools;
        }),
        watch: fromCallback<McpServerEvent>(({ sendBack }) => {
          this.#watch = sendBack;
          let failing = false;
          const timer = setInterval(() => {
            const conn = this.#conn;
            if (!conn) return;
            conn.client.ping({ timeout: Math.min(PING_TIMEOUT_MS, options.healthIntervalMs) }).then(
              () => {
                if (failing) sendBack({ type: "ping.ok" });
                failing = false;
              },
              (e: unknown) => {
                failing = true;
                sendBack({ type: "ping.failed", reason: e instanceof Error ? e.message : String(e) });
              },
            );
          }, options.healthIntervalMs);
          return () => {
            clearInterval(timer);
            this.#watch = undefined;
          };
        }),
      },
      actions: {
        disconnect: () => {
          const conn = this.#conn;
          this.#conn = undefined;
          void conn?.close();
        },
      },
    });
    this.#actor = createActor(machine, { input: { policy: options } });
    this.#actor.subscribe({
      next: () => this.#onChange(),
      error: (e) => deps.report(`mcp ${options.name}: supervisor failed: ${(e as Error).message}`),
    });
  }

  get name(): string {
    return this.options.name;
  }

  start(): this {
    this.#actor.start();
    return this;
  }

  /** Starts again now, with the failure count reset (`cairn mcp restart`). */
  restart(): void {
    this.#actor.send({ type: "restart" });
  }

  /** Stops the supervisor and the server (removed from the config, gateway shutdown). */
  async stop(): Promise<void> {
    const conn = this.#conn;
    this.#actor.send({ type: "stop" });
    this.#actor.stop();
    await conn?.close();
  }

  /** The tools it offers now: none unless it is up. */
  tools(): readonly McpTool[] {
    return this.#actor.getSnapshot().context.tools;
  }

  status(): McpServerStatus {
    const s = this.#actor.getSnapshot();
    const o = this.options;
    const state = visibleState(s.value);
    return {
      name: o.name,
      source: o.source,
      transport: this.#conn?.transport ?? o.transport,
      target: targetOf(o),
      ...(o.command !== undefined ? { command: o.command, args: [...o.args] } : {}),
      ...(o.url !== undefined ? { url: o.url } : {}),
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
      enabled: o.enabled,
      state,
      ...(s.context.reason ? { reason: s.context.reason } : {}),
      failures: s.context.failures,
      ...(state === "backing_off" && this.#nextAttemptAt ? { nextAttemptAt: this.#nextAttemptAt } : {}),
      since: this.#since,
      approval: o.approval,
      tools: s.context.tools.map((t) => t.name),
      envNames: Object.keys(o.env),
      headerNames: Object.keys(o.headers),
      ...(this.#conn?.pid ? { pid: this.#conn.pid } : {}),
    };
  }

  /**
   * Calls one tool and returns its text for the model. Failures are `CairnError`s the registry
   * hands to the model: `unavailable` (not up), `timeout`, `run_interrupted` (the run stopped),
   * `mcp_error` (the server's own error, or a result that does not decode).
   */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<{ output: string; truncated: boolean }> {
    const conn = this.#conn;
    if (!conn) {
      const st = this.status();
      throw new CairnError("unavailable", `MCP server ${this.name} is ${st.state.replace("_", " ")}${st.reason ? `: ${st.reason}` : ""}`);
    }
    let result: CallToolResult;
    try {
      result = (await conn.client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: this.options.callTimeoutMs,
      })) as CallToolResult;
    } catch (e) {
      throw callError(e, this.name, tool, this.options.callTimeoutMs, signal);
    }
    const text = resultText(result);
    if (result.isError) throw new CairnError("mcp_error", `${this.name}/${tool} failed: ${text.output}`, { reason: "tool_error" });
    return text;
  }

  /**
   * What the server offers besides tools: its resources and prompts (`cairn mcp resources`). A
   * server that does not declare the capability offers none; asking it anyway would be an error.
   */
  async offers(): Promise<McpOffers> {
    const conn = this.#conn;
    if (!conn) throw new CairnError("unavailable", `MCP server ${this.name} is ${this.status().state.replace("_", " ")}`);
    const caps = conn.client.getServerCapabilities() ?? {};
    const opts = { timeout: this.options.callTimeoutMs };
    try {
      const resources = caps.resources ? (await conn.client.listResources(undefined, opts)).resources : [];
      const prompts = caps.prompts ? (await conn.client.listPrompts(undefined, opts)).prompts : [];
      return {
        resources: resources.map((r) => ({
          uri: r.uri,
          name: r.name,
          ...(r.description ? { description: r.description } : {}),
          ...(r.mimeType ? { mimeType: r.mimeType } : {}),
        })),
        prompts: prompts.map((p) => ({
          name: p.name,
          ...(p.description ? { description: p.description } : {}),
          arguments: (p.arguments ?? []).map((a) => a.name),
        })),
      };
    } catch (e) {
      throw new CairnError("mcp_error", `${this.name}: could not list resources and prompts: ${(e as Error).message}`);
    }
  }

  #onChange(): void {
    const s = this.#actor.getSnapshot();
    const state = visibleState(s.value);
    const key = `${state}|${s.context.reason ?? ""}|${s.context.tools.map((t) => t.name).join(",")}`;
    if (key === this.#last) return;
    const stateChanged = !this.#last.startsWith(`${state}|`);
    this.#last = key;
    if (stateChanged) {
      this.#since = this.deps.now();
      this.#nextAttemptAt = state === "backing_off" ? this.#since + restartDelay(s.context.failures, s.context.policy) : undefined;
      const why = s.context.reason ? `: ${s.context.reason}` : "";
      this.deps.report(`mcp ${this.name}: ${state.replace("_", " ")}${state === "ready" ? ` (${s.context.tools.length} tools)` : why}`);
    }
    this.deps.changed(this);
  }
}

function callError(e: unknown, server: string, tool: string, timeoutMs: number, signal: AbortSignal): CairnError {
  if (signal.aborted) return new CairnError("run_interrupted", `${server}/${tool} was cancelled`);
  if (e instanceof McpError) {
    if (e.code === McpErrorCode.RequestTimeout) {
      return new CairnError("timeout", `${server}/${tool} gave no answer within ${timeoutMs / 1000} s`);
    }
    if (e.code === McpErrorCode.ConnectionClosed) {
      return new CairnError("unavailable", `MCP server ${server} went away during the call`);
    }
    return new CairnError("mcp_error", `${server}/${tool}: ${e.message}`, { reason: "server_error", mcpCode: e.code });
  }
  // The SDK decodes every result: anything else thrown here is a reply that is not a tool result.
  return new CairnError("mcp_error", `${server}/${tool} returned a malformed result: ${(e as Error).message.slice(0, 500)}`, {
    reason: "malformed_result",
  });
}
