import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { inSpan, type GatewayMetrics } from "../../bus/index.ts";
import { CairnError, toWireError, type WireError } from "../../schemas/index.ts";
import type { ToolParameters, ToolSpec } from "../llm/index.ts";
import { jsonSchemaParameters } from "./json-schema.ts";

/** Where a tool comes from: compiled in, or offered by an MCP server (`mcp__<server>__<tool>`). */
export type ToolSource = "builtin" | "mcp";

/** What a tool may rely on while it runs. */
export interface ToolContext {
  /** Absolute directory the file tools are confined to. */
  readonly workspace: string;
  /** Aborted when the run is stopped or times out; long tools check it between steps. */
  readonly signal: AbortSignal;
  readonly sessionKey: string;
  /** Output as it is produced (exec), shown live; the result stays the record. */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
  /** The session's own `exec` sandbox backend, when it chose one (else the configured one). */
  readonly sandbox?: string;
  /**
   * The run's approval gate judged this call and let it through (a person granted it, or the
   * policy needs no one). The file tools write paths that later commands execute only then.
   */
  readonly approved?: boolean;
  /** The workspace disk quota in bytes (`resource_limits.disk`); the file tools refuse writes past it (default 5 GiB). */
  readonly diskQuotaBytes?: number;
  /** The node the session's `exec` is routed to (absent: local). */
  readonly node?: { readonly id: string; readonly name: string; readonly status?: string };
}

/** What a tool returns; `truncated` says the output was capped and the text says how to get more. */
export interface ToolOutput {
  readonly output: string;
  readonly truncated?: boolean;
  /** Workspace-relative path of the complete output, when the tool kept one. */
  readonly fullOutput?: string;
}

/**
 * A tool the model can call. `params` decodes the model's arguments (excess keys are refused) and
 * is also where the JSON Schema the model sees comes from, so the two cannot drift apart.
 * `run` reports bad input by throwing a `CairnError` (usually `bad_request`); `invoke` turns it
 * into a result the model reads.
 */
export interface Tool<A = unknown> {
  readonly name: string;
  readonly description: string;
  readonly source: ToolSource;
  readonly params: Schema.ConstraintDecoder<A>;
  /** Needs an approval before it runs (enforced by the agent loop, not here). */
  readonly dangerous: boolean;
  /**
   * Changes nothing (reads, searches, lookups): the only tools a run of a read-only channel sender
   * is offered. Absent means it may change something, so a new tool is kept from them until it says so.
   */
  readonly readOnly?: boolean;
  /**
   * The JSON Schema the model sees, when it does not come from `params`: an MCP server's tool
   * brings its own (the server checks its arguments; `params` then only requires an object).
   */
  readonly parameters?: ToolParameters;
  /** The MCP server that offers it (source "mcp"). */
  readonly server?: string;
  run(args: A, ctx: ToolContext): Promise<ToolOutput>;
  /** Releases what the tool keeps between calls (sandbox containers); called at shutdown. */
  dispose?(): Promise<void>;
}

/** Keeps `run`'s argument type tied to the schema's decoded type. */
export const defineTool = <A>(tool: Tool<A>): Tool<A> => tool;

/** The outcome of one call as the model will see it. Never a thrown exception. */
export type ToolResult =
  | { readonly ok: true; readonly output: string; readonly truncated?: boolean; readonly fullOutput?: string }
  | { readonly ok: false; readonly error: WireError };

// Both OpenAI and Anthropic require this shape for function names.
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The tools a run may offer, their specs for the provider, and the one entry point that calls them. */
export class ToolRegistry {
  readonly #tools = new Map<string, { tool: Tool; parameters: ToolParameters }>();
  #metrics: GatewayMetrics["tools"] | undefined;

  /** Counts and times every call from now on in the gateway's registry. */
  instrument(metrics: GatewayMetrics): this {
    this.#metrics = metrics.tools;
    return this;
  }

  /** Adds a tool; a bad or duplicate name is a programming error and throws. */
  register(tool: Tool): this {
    if (!TOOL_NAME.test(tool.name)) throw new Error(`invalid tool name ${JSON.stringify(tool.name)}`);
    if (this.#tools.has(tool.name)) throw new Error(`tool ${tool.name} is already registered`);
    this.#tools.set(tool.name, { tool, parameters: tool.parameters ?? jsonSchemaParameters(tool.params) });
    return this;
  }

  /**
   * Removes a tool (an MCP server went away or changed its list); false when it was not there. A
   * run that already offered it gets "unknown tool" back from `invoke`, as for any other name.
   */
  unregister(name: string): boolean {
    return this.#tools.delete(name);
  }

  /** Releases every tool's resources (shutdown). */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.list().map((t) => t.dispose?.()));
  }

  list(): readonly Tool[] {
    return [...this.#tools.values()].map((e) => e.tool);
  }

  get(name: string): Tool | undefined {
    return this.#tools.get(name)?.tool;
  }

  /** What to send the provider as `tools`. */
  specs(): ToolSpec[] {
    return [...this.#tools.values()].map(({ tool, parameters }) => ({
      name: tool.name,
      description: tool.description,
      parameters,
    }));
  }

  /**
   * Decodes `rawArguments` (JSON text exactly as the model wrote it) and runs the tool. Every
   * failure, including a throwing tool, comes back as `{ ok: false }` with a message written for
   * the model, so it can correct the call and the run continues.
   */
  invoke(name: string, rawArguments: string, ctx: ToolContext): Promise<ToolResult> {
    // The label is the tool's name only when it is one of ours: a model inventing names must not add series.
    const label = this.#tools.has(name) ? name : "unknown";
    return inSpan(`execute_tool ${label}`, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": label }, async (span) => {
      const t0 = performance.now();
      const r = await this.#invoke(name, rawArguments, ctx);
      const m = this.#metrics;
      if (m) {
        m.executions.inc({ tool: label, outcome: r.ok ? "ok" : "error" });
        m.duration.observe({ tool: label }, (performance.now() - t0) / 1000);
        if (!r.ok) m.errors.inc({ tool: label, error_type: r.error.code });
      }
      if (!r.ok) span.setAttribute("error.type", r.error.code);
      return r;
    });
  }

  async #invoke(name: string, rawArguments: string, ctx: ToolContext): Promise<ToolResult> {
    const entry = this.#tools.get(name);
    if (entry === undefined) {
      const known = [...this.#tools.keys()];
      return fail(
        new CairnError("bad_request", `unknown tool ${JSON.stringify(name)}; available tools: ${known.join(", ") || "(none)"}`, {
          reason: "unknown_tool",
          tool: name,
          known,
        }),
      );
    }
    const decoded = decodeArguments(entry.tool, rawArguments);
    if (!decoded.ok) return decoded;
    if (ctx.signal.aborted) return fail(new CairnError("run_interrupted", `${name} was cancelled before it started`));
    try {
      const out = await entry.tool.run(decoded.args, ctx);
      return {
        ok: true,
        output: out.output,
        ...(out.truncated ? { truncated: true } : {}),
        ...(out.fullOutput ? { fullOutput: out.fullOutput } : {}),
      };
    } catch (e) {
      if (ctx.signal.aborted && !(e instanceof CairnError)) {
        return fail(new CairnError("run_interrupted", `${name} was cancelled`));
      }
      return { ok: false, error: toWireError(e) };
    }
  }
}

const fail = (e: CairnError): ToolResult => ({ ok: false, error: e.toWire() });

function decodeArguments(tool: Tool, raw: string): { ok: true; args: unknown } | { ok: false; error: WireError } {
  let json: unknown;
  // Models send "" for a call without arguments.
  if (raw.trim() === "") json = {};
  else {
    try {
      json = JSON.parse(raw);
    } catch (e) {
      return {
        ok: false,
        error: new CairnError(
          "bad_request",
          `invalid arguments for ${tool.name}: not valid JSON (${(e as Error).message}); send a JSON object`,
          { reason: "invalid_json", tool: tool.name },
        ).toWire(),
      };
    }
  }
  const r = Schema.decodeUnknownResult(tool.params, { errors: "all", onExcessProperty: "error" })(json);
  if (Result.isSuccess(r)) return { ok: true, args: r.success };
  return {
    ok: false,
    error: new CairnError("bad_request", `invalid arguments for ${tool.name}:\n${r.failure.message}`, {
      reason: "invalid_arguments",
      tool: tool.name,
    }).toWire(),
  };
}
