import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { resolveSecrets, type McpServerOptions, type McpTransportKind, type SecretSource } from "./mcp.options.ts";

/** A server's tools are listed page by page; more than this is a server bug, not a tool box. */
const MAX_TOOLS = 512;
/** Kept for the crash reason: the last stderr lines usually say why a server died. */
const STDERR_TAIL = 5;

export type { McpTool };

/** What the supervisor hears from a live connection. */
export interface ConnectionHooks {
  /** One line the server wrote on stderr (stdio). */
  stderr(line: string): void;
  /** The transport closed on its own (the process exited, the stream ended): not after `close()`. */
  closed(reason: string): void;
  /** `notifications/tools/list_changed`, with the list read again. */
  toolsChanged(tools: readonly McpTool[]): void;
}

/** An initialized MCP session with its tool list. */
export interface McpConnection {
  readonly client: Client;
  /** The transport in use (`sse` after a Streamable HTTP server refused). */
  readonly transport: McpTransportKind;
  readonly pid?: number;
  readonly tools: readonly McpTool[];
  /** Ends the session; a stdio server gets EOF, then SIGTERM, then SIGKILL (the SDK's sequence). */
  close(): Promise<void>;
}

const clientInfo = { name: "cairn", version: "1" };

/**
 * Starts the server (stdio) or reaches it (HTTP), initializes and lists its tools, all within the
 * startup timeout. Anything that fails on the way closes what was opened, so a failed start leaves
 * no process behind. Secrets are resolved here, at each start: a rotated key is picked up by a restart.
 */
export async function openConnection(o: McpServerOptions, secrets: SecretSource, hooks: ConnectionHooks): Promise<McpConnection> {
  let closing = false;
  const tail: string[] = [];
  const stderrTail = () => (tail.length ? `; stderr: ${tail.join(" | ")}` : "");
  const attempt = async (kind: McpTransportKind): Promise<McpConnection> => {
    const transport = makeTransport(o, kind, secrets);
    // With stderr "pipe" the SDK hands out a PassThrough before the process starts: no line is lost.
    const stderr = transport instanceof StdioClientTransport ? transport.stderr : null;
    if (stderr instanceof Readable) {
      createInterface({ input: stderr }).on("line", (line) => {
        tail.push(line.slice(0, 300));
        if (tail.length > STDERR_TAIL) tail.shift();
        hooks.stderr(line);
      });
    }
    const client = new Client(clientInfo, {
      capabilities: {},
      listChanged: {
        tools: {
          debounceMs: 50,
          onChanged: (error, tools) => {
            if (!error && tools) hooks.toolsChanged(tools.slice(0, MAX_TOOLS));
          },
        },
      },
    });
    const deadline = AbortSignal.timeout(o.startupTimeoutMs);
    client.onclose = () => {
      if (!closing) hooks.closed(`${o.transport === "stdio" ? "the server process exited" : "the connection closed"}${stderrTail()}`);
    };
    try {
      await client.connect(transport, { timeout: o.startupTimeoutMs, signal: deadline });
      const tools = await listTools(client, deadline, o.startupTimeoutMs);
      return {
        client,
        transport: kind,
        ...(transport instanceof StdioClientTransport && transport.pid ? { pid: transport.pid } : {}),
        tools,
        close: async () => {
          closing = true;
          await client.close().catch(() => undefined);
        },
      };
    } catch (e) {
      closing = true;
      await client.close().catch(() => undefined);
      throw startError(e, o, stderrTail());
    }
  };
  if (o.transport !== "streamable-http") return attempt(o.transport);
  try {
    return await attempt("streamable-http");
  } catch (e) {
    // The spec's backwards compatibility: a legacy server answers the Streamable HTTP POST with a 4xx.
    if (!(e instanceof StartError && isClientError(e.cause))) throw e;
    return attempt("sse");
  }
}

function makeTransport(o: McpServerOptions, kind: McpTransportKind, secrets: SecretSource): Transport {
  if (kind === "stdio") {
    return new StdioClientTransport({
      command: o.command ?? "",
      args: [...o.args],
      env: resolveSecrets(o.env, secrets, o.name),
      ...(o.cwd ? { cwd: o.cwd } : {}),
      stderr: "pipe",
    });
  }
  const url = new URL(o.url ?? "");
  const requestInit = { headers: resolveSecrets(o.headers, secrets, o.name) };
  return kind === "sse" ? new SSEClientTransport(url, { requestInit }) : new StreamableHTTPClientTransport(url, { requestInit });
}

async function listTools(client: Client, signal: AbortSignal, timeout: number): Promise<McpTool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { signal, timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor && tools.length < MAX_TOOLS);
  return tools.slice(0, MAX_TOOLS);
}

/** A failed start, with a reason written for the person reading `cairn mcp list`. */
export class StartError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

const isClientError = (e: unknown) => e instanceof StreamableHTTPError && e.code !== undefined && e.code >= 400 && e.code < 500;

function startError(e: unknown, o: McpServerOptions, stderrTail: string): StartError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/timed out|timeout|aborted/i.test(msg) && !(e instanceof StreamableHTTPError)) {
    return new StartError(`no answer within ${o.startupTimeoutMs / 1000} s of starting${stderrTail}`, e);
  }
  if ((e as NodeJS.ErrnoException)?.code === "ENOENT") return new StartError(`command not found: ${o.command}`, e);
  return new StartError(`${msg}${stderrTail}`, e);
}
